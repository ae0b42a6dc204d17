build2/src/train/findlr.o: src/train/findlr.c src/train/rng.h \
 src/core/lrengine.h src/train/train.h src/train/data.h \
 src/host/lrengine_script.h src/train/mlp.h src/train/plan.h
src/train/rng.h:
src/core/lrengine.h:
src/train/train.h:
src/train/data.h:
src/host/lrengine_script.h:
src/train/mlp.h:
src/train/plan.h:
