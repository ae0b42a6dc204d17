build2/tests/test_checkpoint: tests/c/test_checkpoint.c \
 src/train/checkpoint.h src/core/lrengine.h src/train/plan.h \
 src/host/lrengine_script.h tests/c/test.h tests/c/test_files.h
src/train/checkpoint.h:
src/core/lrengine.h:
src/train/plan.h:
src/host/lrengine_script.h:
tests/c/test.h:
tests/c/test_files.h:
