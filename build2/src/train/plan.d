build2/src/train/plan.o: src/train/plan.c src/train/plan.h \
 src/host/lrengine_script.h src/core/lrengine.h src/train/train.h \
 src/train/data.h src/train/mlp.h
src/train/plan.h:
src/host/lrengine_script.h:
src/core/lrengine.h:
src/train/train.h:
src/train/data.h:
src/train/mlp.h:
