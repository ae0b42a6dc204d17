build2/src/core/schedule.o: src/core/schedule.c \
 src/core/schedule_internal.h src/core/internal.h src/core/lrengine.h
src/core/schedule_internal.h:
src/core/internal.h:
src/core/lrengine.h:
