build2/src/train/checkpoint.o: src/train/checkpoint.c \
 src/train/checkpoint.h src/core/lrengine.h src/train/plan.h \
 src/host/lrengine_script.h src/train/fileio.h
src/train/checkpoint.h:
src/core/lrengine.h:
src/train/plan.h:
src/host/lrengine_script.h:
src/train/fileio.h:
