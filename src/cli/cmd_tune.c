/* cmd_tune.c -- `lrengine tune TUNE.lua`: hyper-parameter search (random,
 * grid, ASHA, PBT) over the training job. The search is Lua
 * (lua/lrengine/tune*.lua: the scheduler, the journal, the report); this file
 * gives it what Lua lacks, as a table `sys`: child processes (fork and exec of
 * this binary's `train`, each in a process group of its own so that Ctrl-C
 * reaches them once, through tune, and killed by the kernel if tune dies),
 * waiting for them, Ctrl-C, the run directory's lock, the terminal. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const cli_option tune_opts[] = {
    {"jobs", 'j', "N", "trials trained at a time (default: the number of cores)"},
    {"threads", 't', "N", "BLAS threads of each trial (default: cores / jobs, at least 1)"},
    {"dir", 'd', "DIR", "the run directory (default: TUNE's name with .run, in the current directory)"},
    {"seed", 256, "S", "the search's seed instead of TUNE's"},
    {NULL, 0, NULL, NULL}};

static const cli_command tune_command = {
    "tune", "TUNE.lua",
    "Searches the hyper-parameters of a training config: TUNE.lua returns {config = \"model.lua\",\n"
    "space = {...}, method = tune.asha{...} (or random, grid, pbt), metric = \"val_acc\"} (see\n"
    "examples/tune_*.lua). Trials run as `lrengine train` processes, --jobs at a time, in a run\n"
    "directory holding a journal, their configs, checkpoints and metrics, and at the end the report\n"
    "(results.csv, results.json, curves.svg) and best.lua, a config `lrengine train` runs as is.\n"
    "Running the same command again resumes the search. Exit 130 on Ctrl-C (trials checkpointed).",
    tune_opts, 1, 1, 0};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char self_exe[PATH_MAX];

/* sys.spawn({exe, args...}, stdout_path, stderr_path) -> pid, or nil and a
 * message. The child: its own process group, SIGKILL when tune dies, stdin
 * from /dev/null. */
static int sys_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *out = luaL_checkstring(L, 2), *err = luaL_checkstring(L, 3);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 1 && n < 1000, 1, "a list of 1 to 999 arguments");
    const char **argv = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *argv, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        argv[i - 1] = luaL_checkstring(L, -1);
        lua_pop(L, 1); /* anchored in the table */
    }
    argv[n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "fork: %s", strerror(errno));
        return 2;
    }
    if (pid == 0) { /* async-signal-safe calls only until exec */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int in = open("/dev/null", O_RDONLY);
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || fo < 0 || fe < 0 || dup2(in, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with a kill of the group */
    lua_pushinteger(L, pid);
    return 1;
}

/* sys.wait(seconds) -> pid, exit code (128 + signal when killed), or nothing
 * when no child ended within the time (or Ctrl-C came). */
static int sys_wait(lua_State *L)
{
    double end = now() + luaL_optnumber(L, 1, 0);
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            lua_pushinteger(L, pid);
            lua_pushinteger(L, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            return 2;
        }
        if ((pid < 0 && errno != EINTR) || cli_interrupted || now() >= end) return 0;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int sys_kill(lua_State *L)
{
    pid_t pid = (pid_t)luaL_checkinteger(L, 1);
    static const char *const names[] = {"INT", "TERM", "KILL", NULL};
    static const int sigs[] = {SIGINT, SIGTERM, SIGKILL};
    int sig = sigs[luaL_checkoption(L, 2, "INT", names)];
    lua_pushboolean(L, pid > 0 && kill(pid, sig) == 0);
    return 1;
}

static int sys_interrupted(lua_State *L)
{
    lua_pushboolean(L, cli_interrupted != 0);
    return 1;
}

static int sys_now(lua_State *L)
{
    lua_pushnumber(L, now());
    return 1;
}

static int sys_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

static int sys_columns(lua_State *L)
{
    struct winsize ws;
    lua_pushinteger(L, ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 100);
    return 1;
}

/* sys.mkdir(path): with its parents; true, or nil and a message. */
static int sys_mkdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len = strlen(path);
    char *p = lua_newuserdatauv(L, len + 1, 0);
    memcpy(p, path, len + 1);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0755) && errno != EEXIST) {
                lua_pushnil(L);
                lua_pushfstring(L, "cannot create %s: %s", p, strerror(errno));
                return 2;
            }
            *s = c;
            if (!c) break;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* sys.lock(path): an exclusive lock on the file, held while tune lives;
 * true, or nil and a message when another process holds it. */
static int sys_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fd < 0 || fcntl(fd, F_SETLK, &fl)) {
        int e = errno;
        if (fd >= 0) close(fd);
        lua_pushnil(L);
        lua_pushstring(L, e == EAGAIN || e == EACCES ? "locked" : strerror(e));
        return 2;
    }
    lua_pushboolean(L, 1); /* the descriptor stays open until exit */
    return 1;
}

static int sys_cwd(lua_State *L)
{
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) return luaL_error(L, "getcwd: %s", strerror(errno));
    lua_pushstring(L, buf);
    return 1;
}

typedef struct tune_args {
    const char *tune, *dir;
    long long jobs, threads, seed;
    int quiet;
    int rc;
} tune_args;

/* require("lrengine.tune_cli").main(opts, sys) in protected mode */
static int protected_main(lua_State *L)
{
    tune_args *a = lua_touserdata(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lrengine.tune_cli");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "main");
    lua_createtable(L, 0, 6);
    lua_pushstring(L, a->tune);
    lua_setfield(L, -2, "tune");
    if (a->dir) {
        lua_pushstring(L, a->dir);
        lua_setfield(L, -2, "dir");
    }
    lua_pushinteger(L, a->jobs);
    lua_setfield(L, -2, "jobs");
    lua_pushinteger(L, a->threads);
    lua_setfield(L, -2, "threads");
    if (a->seed >= 0) {
        lua_pushinteger(L, a->seed);
        lua_setfield(L, -2, "seed");
    }
    lua_pushboolean(L, a->quiet);
    lua_setfield(L, -2, "quiet");
    static const luaL_Reg sys[] = {{"spawn", sys_spawn},   {"wait", sys_wait},     {"kill", sys_kill},
                                   {"interrupted", sys_interrupted}, {"now", sys_now}, {"isatty", sys_isatty},
                                   {"columns", sys_columns}, {"mkdir", sys_mkdir}, {"lock", sys_lock},
                                   {"cwd", sys_cwd},       {NULL, NULL}};
    luaL_newlib(L, sys);
    lua_pushstring(L, self_exe);
    lua_setfield(L, -2, "exe");
    lua_call(L, 2, 1);
    a->rc = (int)luaL_optinteger(L, -1, LRE_EXIT_FAIL);
    return 0;
}

int cmd_tune(int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    tune_args a = {NULL, NULL, cores, 0, -1, 0, LRE_EXIT_FAIL};
    cli_parser p;
    cli_parser_init(&p, &tune_command, argc, argv);
    int key, rc = 0;
    while (!rc && (key = cli_next(&p)) != CLI_END) {
        switch (key) {
        case CLI_EXIT: return p.exit;
        case 'j': rc = cli_count_value(&p, key, 1, 256, &a.jobs); break;
        case 't': rc = cli_count_value(&p, key, 1, 1024, &a.threads); break;
        case 'd': a.dir = p.value; break;
        case 256: rc = cli_count_value(&p, key, 0, LLONG_MAX, &a.seed); break;
        }
    }
    if (rc) return rc;
    a.tune = p.operands[0];
    a.quiet = p.quiet;
    struct stat st; /* as every script's loader: Lua's loadfile would wait for a FIFO's writer */
    if (!stat(a.tune, &st) && !S_ISREG(st.st_mode)) return cli_error(LRE_EXIT_FAIL, "%s: not a regular file", a.tune);
    if (!a.threads) a.threads = cores / a.jobs > 1 ? cores / a.jobs : 1;
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n > 0) self_exe[n] = 0;
    else snprintf(self_exe, sizeof self_exe, "%s", "/usr/local/bin/lrengine");
    /* unsandboxed, and Ctrl-C is the search's to handle: no stop flag */
    lre_script_limits limits = cli_limits(1);
    limits.stop = NULL;
    lre_host *h = lre_host_new("tune", &limits);
    if (!h) return cli_error(LRE_EXIT_FAIL, "cannot create a Lua state: not enough memory");
    lua_State *L = lre_host_state(h);
    lua_pushcfunction(L, protected_main);
    lua_pushlightuserdata(L, &a);
    lre_error err;
    rc = lre_host_pcall(h, 1, 0, 1, &err) ? cli_error(LRE_EXIT_FAIL, "%s", err.msg) : a.rc;
    lre_host_release(h);
    return rc;
}
