build2/src/core/optim_state.o: src/core/optim_state.c \
 src/core/optim_internal.h src/core/internal.h src/core/lrengine.h
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
