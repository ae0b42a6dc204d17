build2/src/train/trainer.o: src/train/trainer.c src/train/checkpoint.h \
 src/core/lrengine.h src/train/plan.h src/host/lrengine_script.h \
 src/train/eventlog.h src/train/continue.h src/train/train.h \
 src/train/data.h src/train/mlp.h src/train/rng.h
src/train/checkpoint.h:
src/core/lrengine.h:
src/train/plan.h:
src/host/lrengine_script.h:
src/train/eventlog.h:
src/train/continue.h:
src/train/train.h:
src/train/data.h:
src/train/mlp.h:
src/train/rng.h:
