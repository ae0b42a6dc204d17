build2/src/train/eventlog.o: src/train/eventlog.c src/train/eventlog.h \
 src/core/lrengine.h
src/train/eventlog.h:
src/core/lrengine.h:
