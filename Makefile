# DTCP top-level build.
#   make            module for every supported installed kernel + user space
#   make module     dtcp.ko for each kernel in KERNELS (default: scripts/kernels)
#   make userspace  libdtcp, dtcpctl, tools and unit tests (CMake, in build/user)
#   make check      the full test suite (scripts/test): unit tests + VM tests
#   make install    user space into PREFIX (default /usr/local); the module via DKMS
#   make clean
KERNELS ?= $(shell scripts/kernels)
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
MODULE_SRC := $(wildcard module/*.c module/*.h) module/Kbuild module/Makefile

all: module userspace

# Each kernel gets its own copy of the sources so the objects never mix.
module: $(MODULE_SRC) include/uapi/linux/dtcp.h
	@[ -n "$(KERNELS)" ] || { echo "no supported kernel headers installed (run scripts/install-deps)" >&2; exit 1; }
	@set -e; for k in $(KERNELS); do \
		d=$(BUILD)/module/$$k; mkdir -p $$d; cp -p $(MODULE_SRC) $$d/; \
		echo "  KMOD    $$k"; \
		$(MAKE) -s -C /lib/modules/$$k/build M=$(CURDIR)/$$d \
			DTCP_INCLUDE=$(CURDIR)/include DTCP_VERSION=$(VERSION) DTCP_WERROR=y modules; \
	done

userspace:
	cmake -S . -B $(BUILD)/user -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD)/user -j$(JOBS)

check:
	scripts/test

install: userspace
	cmake --install $(BUILD)/user --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)

.PHONY: all module userspace check install clean
