build2/src/train/continue.o: src/train/continue.c src/train/continue.h \
 src/train/checkpoint.h src/core/lrengine.h src/train/plan.h \
 src/host/lrengine_script.h src/train/train.h src/train/data.h \
 src/train/mlp.h
src/train/continue.h:
src/train/checkpoint.h:
src/core/lrengine.h:
src/train/plan.h:
src/host/lrengine_script.h:
src/train/train.h:
src/train/data.h:
src/train/mlp.h:
