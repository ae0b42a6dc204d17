build2/tests/test_data: tests/c/test_data.c src/train/data.h \
 tests/c/test.h tests/c/test_files.h
src/train/data.h:
tests/c/test.h:
tests/c/test_files.h:
