build2/src/train/run_data.o: src/train/run_data.c src/train/train.h \
 src/train/data.h src/host/lrengine_script.h src/core/lrengine.h \
 src/train/mlp.h src/train/plan.h
src/train/train.h:
src/train/data.h:
src/host/lrengine_script.h:
src/core/lrengine.h:
src/train/mlp.h:
src/train/plan.h:
