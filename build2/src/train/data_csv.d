build2/src/train/data_csv.o: src/train/data_csv.c src/train/data.h \
 src/train/fileio.h
src/train/data.h:
src/train/fileio.h:
