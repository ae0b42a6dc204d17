build2/src/core/schedule_walk.o: src/core/schedule_walk.c \
 src/core/schedule_internal.h src/core/internal.h src/core/lrengine.h
src/core/schedule_internal.h:
src/core/internal.h:
src/core/lrengine.h:
