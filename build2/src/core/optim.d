build2/src/core/optim.o: src/core/optim.c src/core/optim_internal.h \
 src/core/internal.h src/core/lrengine.h
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
