build2/src/train/config.o: src/train/config.c src/train/fileio.h \
 src/train/train.h src/train/data.h src/host/lrengine_script.h \
 src/core/lrengine.h src/train/mlp.h src/train/plan.h
src/train/fileio.h:
src/train/train.h:
src/train/data.h:
src/host/lrengine_script.h:
src/core/lrengine.h:
src/train/mlp.h:
src/train/plan.h:
