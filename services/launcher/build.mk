# SPDX-License-Identifier: MIT
# services/launcher/: cpan-bridge-dev, which plays systemd's part where systemd is not PID 1.

LAUNCHER_SRCS := $(wildcard services/launcher/*.c)
LAUNCHER_OBJS := $(LAUNCHER_SRCS:%.c=$(B)/%.o)

PROGRAMS += $(B)/cpan-bridge-dev

$(B)/cpan-bridge-dev: $(LAUNCHER_OBJS) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
