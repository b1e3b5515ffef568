#ifndef STSWATCH_CSPAWN_H
#define STSWATCH_CSPAWN_H

#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addclosefrom_np(3): every descriptor >= `from` is closed in the child.
/// Swift's Glibc module does not see it (glibc declares it only under _GNU_SOURCE).
/// Returns 0 or an errno value, as the glibc function does; ENOSYS where it does not exist.
int stswatch_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// posix_spawn_file_actions_addchdir_np(3): the child starts in `path`.
/// Returns 0 or an errno value; ENOSYS where it does not exist.
int stswatch_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// pipe2(fds, O_CLOEXEC): a pipe no other spawn can inherit between its creation and ours.
/// Returns 0, or -1 with errno set.
int stswatch_pipe_cloexec(int fds[2]);

/// write(2) that cannot raise SIGPIPE: the signal is blocked on this thread for the call and a
/// pending one is consumed, so a child that closed its input yields EPIPE instead of killing us.
/// Returns what write returned, with errno from write.
ssize_t stswatch_write_nosigpipe(int fd, const void *buffer, size_t count);

#endif
