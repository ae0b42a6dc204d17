build2/src/core/schedule_tree.o: src/core/schedule_tree.c \
 src/core/schedule_internal.h src/core/internal.h src/core/lrengine.h
src/core/schedule_internal.h:
src/core/internal.h:
src/core/lrengine.h:
