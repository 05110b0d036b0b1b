/*
 * Reference relay for the gateway benchmarks: the cheapest proxy hop this machine can make.
 *
 * Listens on 127.0.0.1 (an OS-chosen port, printed on stdout as one line) and joins every
 * accepted connection to a new connection to 127.0.0.1:PORT, moving bytes both ways until
 * either side ends. It understands no HTTP: the origin server answers the absolute-form
 * requests Chromium sends to a proxy itself. One thread per direction, blocking sockets.
 *
 *   relay PORT splice   zero-copy: socket -> pipe -> socket with splice(2), Linux only
 *   relay PORT copy     read(2) into a 1 MiB buffer, write(2) it out, as a user-space proxy does
 *
 * Built by the gateway scenarios with the machine's C compiler; no part of cdp-session.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static in_port_t target_port;
static int zero_copy;

struct link {
  int client, upstream;
  atomic_int open_directions;
};

struct direction {
  struct link *link;
  int from, to;
};

static void release(struct link *link) {
  if (atomic_fetch_sub(&link->open_directions, 1) == 1) {
    close(link->client);
    close(link->upstream);
    free(link);
  }
}

/* Writes all of buf; 0 on success. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void pump_copy(int from, int to) {
  char *buf = malloc(CHUNK);
  if (buf == NULL) return;
  for (;;) {
    ssize_t n = read(from, buf, CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || write_all(to, buf, (size_t)n) != 0) break;
  }
  free(buf);
}

static void pump_splice(int from, int to) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  fcntl(pipe_fds[1], F_SETPIPE_SZ, CHUNK);
  for (;;) {
    ssize_t in = splice(from, NULL, pipe_fds[1], NULL, CHUNK, SPLICE_F_MOVE);
    if (in < 0 && errno == EINTR) continue;
    if (in <= 0) break;
    while (in > 0) {
      ssize_t out = splice(pipe_fds[0], NULL, to, NULL, (size_t)in, SPLICE_F_MOVE);
      if (out < 0 && errno == EINTR) continue;
      if (out <= 0) goto done;
      in -= out;
    }
  }
done:
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

static void *pump(void *arg) {
  struct direction *d = arg;
  if (zero_copy) pump_splice(d->from, d->to);
  else pump_copy(d->from, d->to);
  /* Pass the end on (a half-close), and stop the other direction's reads from this side. */
  shutdown(d->to, SHUT_WR);
  shutdown(d->from, SHUT_RD);
  release(d->link);
  free(d);
  return NULL;
}

static int start_pump(struct link *link, int from, int to) {
  struct direction *d = malloc(sizeof *d);
  if (d == NULL) return -1;
  d->link = link;
  d->from = from;
  d->to = to;
  pthread_t thread;
  if (pthread_create(&thread, NULL, pump, d) != 0) {
    free(d);
    return -1;
  }
  pthread_detach(thread);
  return 0;
}

static struct sockaddr_in loopback(in_port_t port) {
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[2], "splice") != 0 && strcmp(argv[2], "copy") != 0)) {
    fprintf(stderr, "usage: relay PORT splice|copy\n");
    return 2;
  }
  target_port = (in_port_t)atoi(argv[1]);
  zero_copy = strcmp(argv[2], "splice") == 0;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 128) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    perror("relay: listen");
    return 1;
  }
  printf("%d\n", ntohs(address.sin_port));
  fflush(stdout);

  const int one = 1;
  for (;;) {
    int client = accept(listener, NULL, NULL);
    if (client < 0) continue;
    int upstream = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in target = loopback(target_port);
    if (upstream < 0 || connect(upstream, (struct sockaddr *)&target, sizeof target) != 0) {
      close(client);
      if (upstream >= 0) close(upstream);
      continue;
    }
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct link *link = malloc(sizeof *link);
    if (link == NULL) {
      close(client);
      close(upstream);
      continue;
    }
    link->client = client;
    link->upstream = upstream;
    atomic_init(&link->open_directions, 2);
    if (start_pump(link, client, upstream) != 0) {
      close(client);
      close(upstream);
      free(link);
      continue;
    }
    if (start_pump(link, upstream, client) != 0) {
      shutdown(client, SHUT_RDWR);
      shutdown(upstream, SHUT_RDWR);
      release(link);
    }
  }
}
