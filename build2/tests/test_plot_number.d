build2/tests/test_plot_number: tests/c/test_plot_number.c tests/c/test.h \
 tests/c/../../src/cli/plot_number.c tests/c/../../src/cli/cli.h \
 src/host/host.h src/lua/lrengine_lua.h src/core/lrengine.h \
 /usr/include/lua5.4/lauxlib.h /usr/include/lua5.4/luaconf.h \
 /usr/include/lua5.4/lua.h /usr/include/lua5.4/lua.h \
 src/host/lrengine_script.h
tests/c/test.h:
tests/c/../../src/cli/plot_number.c:
tests/c/../../src/cli/cli.h:
src/host/host.h:
src/lua/lrengine_lua.h:
src/core/lrengine.h:
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
src/host/lrengine_script.h:
