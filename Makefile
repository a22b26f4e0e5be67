# berth: build, test, install.  See README.md.
#
#   make            build/berthd, build/berth, build/libberth.{a,so},
#                   build/berth-init
#   make test       install missing packages, build, run every test
#   make asan       the same under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       libFuzzer targets with clang, each run FUZZ_TIME seconds
#   make bench      the benchmarks in bench/
#   make install    PREFIX=/usr/local DESTDIR=

VERSION		:= 0.1.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
LIBEXECDIR	?= $(PREFIX)/libexec
INCLUDEDIR	?= $(PREFIX)/include
DATADIR		?= $(PREFIX)/share
UNITDIR		?= $(PREFIX)/lib/systemd/system
DESTDIR		?=

BUILD		?= build
CC		?= cc
OPT		?= -O2 -g
WERROR		?=
SANITIZE	?=
FUZZ_TIME	?= 20
PYTHON		?= /usr/bin/python3
BERTH_URL	?=

PKGS		:= libevent msgpack jansson libseccomp libcap libcrypto sqlite3 \
		   libarchive libzstd libmnl libnftables
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libedit (the REPL's line editing) is the CLI's alone.
EDIT_CFLAGS	:= $(shell pkg-config --cflags libedit 2>/dev/null)
EDIT_LIBS	:= $(shell pkg-config --libs libedit 2>/dev/null)

CFLAGS		+= $(OPT) -std=gnu11 -Wall -Wextra $(WERROR) $(SANITIZE) \
		   -fPIC -D_GNU_SOURCE -iquote protocol -iquote client -iquote runtime \
		   -iquote store \
		   -iquote $(BUILD)/gen \
		   -DBERTH_VERSION='"$(VERSION)"' -DBERTH_URL='"$(BERTH_URL)"' \
		   -DBERTH_INIT_PATH='"$(LIBEXECDIR)/berth/berth-init"' \
		   $(PKG_CFLAGS)
LDFLAGS		+= $(SANITIZE)
LDLIBS		+= $(PKG_LIBS) -lm

INTERFACES	:= $(sort $(wildcard protocol/*.varlink))
PROTOCOL_SRC	:= $(wildcard protocol/*.c)
PROTOCOL_OBJ	:= $(PROTOCOL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/interfaces.o
DAEMON_SRC	:= $(wildcard daemon/*.c)
DAEMON_OBJ	:= $(DAEMON_SRC:%.c=$(BUILD)/%.o)
# libberth is the client library; the CLI is every other file in client/.
LIBBERTH_SRC	:= $(wildcard client/lib*.c)
LIBBERTH_OBJ	:= $(LIBBERTH_SRC:%.c=$(BUILD)/%.o)
CLI_SRC		:= $(filter-out $(LIBBERTH_SRC),$(wildcard client/*.c))
CLI_OBJ		:= $(CLI_SRC:%.c=$(BUILD)/%.o)
# The spawner library, and berth-runtime (the OCI runtime command) on it.
RUNTIME_SRC	:= $(wildcard runtime/*.c)
RUNTIME_OBJ	:= $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
OCI_SRC		:= $(wildcard runtime/oci/*.c)
# The store: blobs, metadata, layers.
STORE_SRC	:= $(wildcard store/*.c)
STORE_OBJ	:= $(STORE_SRC:%.c=$(BUILD)/%.o)
OCI_OBJ		:= $(OCI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC	:= $(wildcard tests/*/test-*.c)
UNIT_BIN	:= $(UNIT_SRC:%.c=$(BUILD)/%)
BENCH_SRC	:= $(wildcard bench/*.c)
BENCH_BIN	:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC	:= $(wildcard tests/fuzz/fuzz-*.c)

DAEMON		:= $(BUILD)/berthd
CLI		:= $(BUILD)/berth
LIBPROTO	:= $(BUILD)/libberth-protocol.a
LIBBERTH_A	:= $(BUILD)/libberth.a
LIBBERTH_SO	:= $(BUILD)/libberth.so.0
LIBRUNTIME	:= $(BUILD)/libberth-runtime.a
RUNTIME_CLI	:= $(BUILD)/berth-runtime
LIBSTORE	:= $(BUILD)/libberth-store.a
INIT		:= $(BUILD)/berth-init

.PHONY: all deps test check unit asan fuzz bench install uninstall clean run

all: $(DAEMON) $(CLI) $(RUNTIME_CLI) $(INIT) $(LIBBERTH_A) $(LIBBERTH_SO) \
	$(BUILD)/berth.pc $(BUILD)/berth.1 $(BUILD)/berth.bash \
	$(UNIT_BIN) $(BENCH_BIN)

# The manual page and the bash completion, written by berth from its
# command table.
$(BUILD)/berth.1: $(CLI)
	$(CLI) help --man > $@

$(BUILD)/berth.bash: $(CLI)
	$(CLI) completion bash > $@

deps:
	@tools/deps.sh

$(BUILD)/gen/interfaces.c: tools/embed-interfaces.sh $(INTERFACES)
	@mkdir -p $(@D)
	tools/embed-interfaces.sh $(INTERFACES) > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/interfaces.o: $(BUILD)/gen/interfaces.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBPROTO): $(PROTOCOL_OBJ)
	rm -f $@ && ar rcs $@ $^

$(LIBRUNTIME): $(RUNTIME_OBJ)
	rm -f $@ && ar rcs $@ $^

$(LIBSTORE): $(STORE_OBJ) $(PROTOCOL_OBJ)
	rm -f $@ && ar rcs $@ $(STORE_OBJ)

$(RUNTIME_CLI): $(OCI_OBJ) $(LIBRUNTIME) $(LIBPROTO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIBBERTH_A): $(LIBBERTH_OBJ) $(PROTOCOL_OBJ)
	rm -f $@ && ar rcs $@ $^

# The shared library exports the berth_* API and nothing of protocol/'s
# internals.
$(LIBBERTH_SO): $(LIBBERTH_OBJ) $(PROTOCOL_OBJ) client/libberth.map
	$(CC) -shared -Wl,-soname,libberth.so.0 \
	    -Wl,--version-script=client/libberth.map $(LDFLAGS) -o $@ \
	    $(LIBBERTH_OBJ) $(PROTOCOL_OBJ) $(LDLIBS)

$(BUILD)/berth.pc: client/berth.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    $< > $@

$(DAEMON): $(DAEMON_OBJ) $(LIBSTORE) $(LIBRUNTIME) $(LIBPROTO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CLI): $(CLI_OBJ) $(LIBBERTH_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(EDIT_LIBS)

$(CLI_OBJ): CFLAGS += $(EDIT_CFLAGS)

# The containers' --init (berthd --init-path): static, so it runs in any
# image, and never sanitized, since ASan does not link statically.
$(INIT): runtime/init/berth-init.c
	@mkdir -p $(@D)
	$(CC) $(OPT) -std=gnu11 -Wall -Wextra $(WERROR) -D_GNU_SOURCE -static \
	    -o $@ $<

# A unit test links the module it tests: the protocol library always, the
# client library too.
$(BUILD)/tests/%: tests/%.c $(LIBBERTH_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -iquote tests -o $@ $< $(LIBBERTH_A) $(LDFLAGS) $(LDLIBS)

# The CLI's unit tests also link the CLI's objects, all but main().
CLI_TEST_OBJ	:= $(filter-out $(BUILD)/client/main.o,$(CLI_OBJ))
$(BUILD)/tests/client/%: tests/client/%.c $(CLI_TEST_OBJ) $(LIBBERTH_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -iquote tests -o $@ $< $(CLI_TEST_OBJ) $(LIBBERTH_A) \
	    $(LDFLAGS) $(LDLIBS) $(EDIT_LIBS)

# The store's unit tests link the store library.
$(BUILD)/tests/store/%: tests/store/%.c $(LIBSTORE) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -iquote tests -o $@ $< $(LIBSTORE) $(LIBPROTO) \
	    $(LDFLAGS) $(LDLIBS)

# The runtime's unit tests link the spawner library.
$(BUILD)/tests/runtime/%: tests/runtime/%.c $(LIBRUNTIME) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -iquote tests -o $@ $< $(LIBRUNTIME) $(LIBPROTO) \
	    $(LDFLAGS) $(LDLIBS)

# The daemon's unit tests link its objects, all but main(), and the
# libraries under them.
DAEMON_TEST_OBJ	:= $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJ))
$(BUILD)/tests/daemon/%: tests/daemon/%.c $(DAEMON_TEST_OBJ) $(LIBSTORE) \
    $(LIBRUNTIME) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -iquote tests -iquote daemon -o $@ $< \
	    $(DAEMON_TEST_OBJ) $(LIBSTORE) $(LIBRUNTIME) $(LIBPROTO) \
	    $(LDFLAGS) $(LDLIBS)

# The snapshot benchmark times the store's own calls.
$(BUILD)/bench/snapshot: bench/snapshot.c $(LIBSTORE) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBSTORE) $(LIBPROTO) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBBERTH_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBBERTH_A) $(LDFLAGS) $(LDLIBS) -lpthread

# make test: everything from a fresh machine.
test: deps
	$(MAKE) all
	$(PYTHON) tests/run.py --build $(BUILD)

check: all
	$(PYTHON) tests/run.py --build $(BUILD)

asan: deps
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(PYTHON) tests/run.py --build build-asan --sanitized

fuzz: deps
	tests/fuzz/run.sh $(FUZZ_TIME)

bench: all
	bench/run.sh $(BUILD)
	bench/network.py $(BUILD)

run: deps all
	tools/run-main-job.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(INCLUDEDIR)/berth $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(LIBEXECDIR)/berth
	install -m 0755 $(DAEMON) $(CLI) $(RUNTIME_CLI) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(INIT) $(DESTDIR)$(LIBEXECDIR)/berth/
	install -m 0644 $(LIBBERTH_A) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(LIBBERTH_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libberth.so.0 $(DESTDIR)$(LIBDIR)/libberth.so
	install -m 0644 $(BUILD)/berth.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 client/berth.h protocol/error.h \
	    $(DESTDIR)$(INCLUDEDIR)/berth/
	sed 's|@BINDIR@|$(BINDIR)|' tools/berthd.service.in \
	    > $(DESTDIR)$(UNITDIR)/berthd.service
	install -m 0644 tools/berthd.socket $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(DATADIR)/man/man1 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions
	install -m 0644 $(BUILD)/berth.1 $(DESTDIR)$(DATADIR)/man/man1/
	install -m 0644 $(BUILD)/berth.bash \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/berth

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/berthd $(DESTDIR)$(BINDIR)/berth \
	    $(DESTDIR)$(BINDIR)/berth-runtime \
	    $(DESTDIR)$(LIBDIR)/libberth.a $(DESTDIR)$(LIBDIR)/libberth.so* \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/berth.pc \
	    $(DESTDIR)$(UNITDIR)/berthd.service \
	    $(DESTDIR)$(UNITDIR)/berthd.socket \
	    $(DESTDIR)$(DATADIR)/man/man1/berth.1 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/berth
	rm -rf $(DESTDIR)$(INCLUDEDIR)/berth $(DESTDIR)$(LIBEXECDIR)/berth

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
