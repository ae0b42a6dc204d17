build-clang/src/train/mlp.o: src/train/mlp.c src/train/mlp.h \
  src/train/rng.h

src/train/mlp.h:

src/train/rng.h:
