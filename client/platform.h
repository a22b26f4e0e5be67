/*
 * The platform a binary was built for, named as Go names it (GOOS/GOARCH),
 * since that is how Docker's version shows "OS/Arch".  Header only: the
 * CLI's version and berthd's GetInfo both include it.
 */
#ifndef BERTH_PLATFORM_H
#define BERTH_PLATFORM_H

#if defined(__x86_64__)
#define BERTH_ARCH	"amd64"
#elif defined(__aarch64__)
#define BERTH_ARCH	"arm64"
#elif defined(__i386__)
#define BERTH_ARCH	"386"
#elif defined(__arm__)
#define BERTH_ARCH	"arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define BERTH_ARCH	"riscv64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BERTH_ARCH	"ppc64le"
#elif defined(__s390x__)
#define BERTH_ARCH	"s390x"
#else
#define BERTH_ARCH	"unknown"
#endif
#define BERTH_OS	"linux"

/* The compiler, as its own version macro reads. */
#if defined(__clang__)
#define BERTH_COMPILER	"clang " __clang_version__
#elif defined(__GNUC__)
#define BERTH_COMPILER	"gcc " __VERSION__
#else
#define BERTH_COMPILER	"unknown"
#endif

/* The commit built, when the build says (-DBERTH_GIT_COMMIT='"abc1234"');
 * "" when unknown, and then not shown. */
#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT	""
#endif

/* When this file's includer was compiled (not reproducible by design:
 * Docker's version shows it too). */
#define BERTH_BUILT	__DATE__ " " __TIME__

#endif
