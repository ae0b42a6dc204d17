build2/src/train/fileio.o: src/train/fileio.c src/train/fileio.h
src/train/fileio.h:
