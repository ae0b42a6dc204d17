build2/src/train/data_idx.o: src/train/data_idx.c src/train/data.h \
 src/train/fileio.h
src/train/data.h:
src/train/fileio.h:
