build-clang/src/core/membuf.o: src/core/membuf.c src/core/lrengine.h

src/core/lrengine.h:
