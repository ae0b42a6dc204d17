build2/src/core/optim_f64.o: src/core/optim_f64.c \
 src/core/optim_internal.h src/core/internal.h src/core/lrengine.h \
 src/core/optim_kernels.h
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
src/core/optim_kernels.h:
