build2/src/core/describe.o: src/core/describe.c src/core/optim_internal.h \
 src/core/internal.h src/core/lrengine.h src/core/schedule_internal.h
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
src/core/schedule_internal.h:
