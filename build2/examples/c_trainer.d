build2/examples/c_trainer: examples/c/trainer.c src/core/lrengine.h \
 src/host/lrengine_script.h
src/core/lrengine.h:
src/host/lrengine_script.h:
