build2/src/core/optim_muon.o: src/core/optim_muon.c \
 src/core/optim_internal.h src/core/internal.h src/core/lrengine.h
src/core/optim_internal.h:
src/core/internal.h:
src/core/lrengine.h:
