build2/src/train/mlp.o: src/train/mlp.c src/train/mlp.h src/train/rng.h \
 src/core/lrengine.h
src/train/mlp.h:
src/train/rng.h:
src/core/lrengine.h:
