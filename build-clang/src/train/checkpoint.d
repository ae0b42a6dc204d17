build-clang/src/train/checkpoint.o: src/train/checkpoint.c \
  src/train/checkpoint.h src/core/lrengine.h

src/train/checkpoint.h:

src/core/lrengine.h:
