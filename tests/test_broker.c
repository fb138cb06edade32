// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the control broker: right names, the policy file, and the
 * broker and its client over a real unix socket in a temporary directory.
 *
 * ioctl() is faked (--wrap=ioctl) to play the endpoint: EP_INFO answers
 * id 7, DERIVE makes an eventfd standing for the new endpoint file and
 * remembers the rights it was made with (by inode), GET_RIGHTS on such a
 * file answers them, so a test can ask the fd a client received what it
 * may do, the way a control would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmsig.h"
#include "vmsig_broker.h"

#define EP_ID 7

/* ------------------------------------------------------------ fake ioctl */

static pthread_mutex_t ilock = PTHREAD_MUTEX_INITIALIZER;
static int endpoint_fd = -1;
static int derive_errno;		/* nonzero: DERIVE fails with it */
static int derives;
static uint32_t last_derive_flags;
static struct { ino_t ino; uint64_t rights; } made[32];
static int nmade;

int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct stat st;
	va_list ap;
	void *arg;
	int ret = -ENOTTY;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&ilock);
	if (req == VMSIG_IOC_EP_INFO && fd == endpoint_fd) {
		((struct vmsig_ep_info *)arg)->ep_id = EP_ID;
		ret = 0;
	} else if (req == VMSIG_IOC_DERIVE && fd == endpoint_fd) {
		struct vmsig_derive *d = arg;

		derives++;
		last_derive_flags = d->flags;
		if (derive_errno) {
			ret = -derive_errno;
		} else {
			ret = eventfd(0, EFD_CLOEXEC);
			fstat(ret, &st);
			made[nmade].ino = st.st_ino;
			made[nmade++].rights = d->rights;
			d->ep_fd = ret;
		}
	} else if (req == VMSIG_IOC_GET_RIGHTS && !fstat(fd, &st)) {
		ret = -EBADF;
		for (int i = 0; i < nmade; i++) {
			if (made[i].ino == st.st_ino) {
				((struct vmsig_rights *)arg)->rights = made[i].rights;
				ret = 0;
			}
		}
	}
	pthread_mutex_unlock(&ilock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static uint64_t rights_of(int fd)
{
	struct vmsig_rights r = { .size = sizeof(r) };

	assert_int_equal(ioctl(fd, VMSIG_IOC_GET_RIGHTS, &r), 0);
	return r.rights;
}

/* ------------------------------------------------------------- harness */

static char dir[64];
static char sock_path[128];
static struct vmsig_policy *pol;
static struct vmsig_broker *broker;
static pthread_t broker_thread;
static bool broker_running;
static struct vmsig_broker_decision last_decision;
static char last_message[128];
static int decisions;

static void on_decision(void *arg, const struct vmsig_broker_decision *d)
{
	(void)arg;
	pthread_mutex_lock(&ilock);
	last_decision = *d;
	snprintf(last_message, sizeof(last_message), "%s", d->message);
	last_decision.message = last_message;
	decisions++;
	pthread_mutex_unlock(&ilock);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmsig-broker-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	endpoint_fd = eventfd(0, EFD_CLOEXEC);
	derive_errno = 0;
	derives = 0;
	nmade = 0;
	decisions = 0;
	return endpoint_fd < 0 ? -1 : 0;
}

static void stop_broker(void)
{
	if (broker_running) {
		vmsig_broker_stop(broker);
		pthread_join(broker_thread, NULL);
		broker_running = false;
	}
	vmsig_broker_free(broker);
	broker = NULL;
}

static int teardown(void **state)
{
	(void)state;
	stop_broker();
	vmsig_policy_free(pol);
	pol = NULL;
	close(endpoint_fd);
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

static void *run_broker(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)vmsig_broker_run(broker);
}

/* Parse @text as the policy and start a broker thread on it. */
static void start_broker(const char *text)
{
	struct vmsig_broker_cfg cfg = { .path = sock_path, .epfd = endpoint_fd,
					.on_decision = on_decision };
	char err[128];

	assert_int_equal(vmsig_policy_parse(text, &pol, err, sizeof(err)), 0);
	cfg.policy = pol;
	assert_int_equal(vmsig_broker_new(&cfg, &broker), 0);
	assert_int_equal(pthread_create(&broker_thread, NULL, run_broker, NULL), 0);
	broker_running = true;
}

static void expect_policy_error(const char *text, const char *msg)
{
	struct vmsig_policy *p = (void *)1;
	char err[128];

	assert_int_equal(vmsig_policy_parse(text, &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	assert_string_equal(err, msg);
}

/* ------------------------------------------------------------- rights */

static void right_names(void **state)
{
	uint64_t r;
	char buf[256];

	(void)state;
	assert_int_equal(vmsig_rights_parse("mem_read,emit,lease_input", &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT |
			    VMSIG_RIGHT_LEASE_INPUT);
	assert_int_equal(vmsig_rights_parse("all", &r), 0);
	assert_int_equal(r, VMSIG_RIGHTS_ALL);
	assert_int_equal(vmsig_rights_parse("none", &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(vmsig_rights_parse("mem_write,memctx,submit_input,"
					    "submit_power,submit_other,lease_power,"
					    "lease_memwrite,bind_sink,admin", &r), 0);
	assert_int_equal(r, VMSIG_RIGHTS_ALL & ~(VMSIG_RIGHT_MEM_READ |
			    VMSIG_RIGHT_EMIT | VMSIG_RIGHT_LEASE_INPUT));
	assert_int_equal(vmsig_rights_parse("", &r), -EINVAL);
	assert_int_equal(vmsig_rights_parse("emit,", &r), -EINVAL);
	assert_int_equal(vmsig_rights_parse(",emit", &r), -EINVAL);
	assert_int_equal(vmsig_rights_parse("EMIT", &r), -EINVAL);
	assert_int_equal(vmsig_rights_parse("mem", &r), -EINVAL);
	assert_int_equal(vmsig_rights_parse("mem_readx", &r), -EINVAL);

	assert_int_equal(vmsig_rights_format(0, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "none");
	vmsig_rights_format(VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_ADMIN, buf,
			    sizeof(buf));
	assert_string_equal(buf, "mem_read,admin");
	vmsig_rights_format(VMSIG_RIGHT_EMIT | (1ULL << 40), buf, sizeof(buf));
	assert_string_equal(buf, "emit,0x10000000000");
	/* Round trip of every right. */
	vmsig_rights_format(VMSIG_RIGHTS_ALL, buf, sizeof(buf));
	assert_int_equal(vmsig_rights_parse(buf, &r), 0);
	assert_int_equal(r, VMSIG_RIGHTS_ALL);
	/* Truncation reports the full length, as snprintf does. */
	assert_int_equal(vmsig_rights_format(VMSIG_RIGHT_MEM_READ, buf, 4), 8);
	assert_string_equal(buf, "mem");
}

/* ------------------------------------------------------------- policy */

static void policy_good(void **state)
{
	static const char text[] =
		"# vmsig broker policy\n"
		"\n"
		"uid 1000 rights mem_read,emit,lease_input   # the test robot\n"
		"uid 0 rights all\n"
		"\tgid 27 rights submit_input,lease_input\n"
		"gid 44 rights mem_read\n"
		"uid 1001 rights none\n"
		"default deny\n";
	const gid_t groups[] = { 100, 44 };
	struct vmsig_policy *p;
	uint64_t r;

	(void)state;
	assert_int_equal(vmsig_policy_parse(text, &p, NULL, 0), 0);
	assert_int_equal(vmsig_policy_lookup(p, 1000, 1000, NULL, 0, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT |
			    VMSIG_RIGHT_LEASE_INPUT);
	assert_int_equal(vmsig_policy_lookup(p, 0, 0, NULL, 0, &r), 0);
	assert_int_equal(r, VMSIG_RIGHTS_ALL);
	/* Named, with no right: allowed, a watcher. */
	assert_int_equal(vmsig_policy_lookup(p, 1001, 1001, NULL, 0, &r), 0);
	assert_int_equal(r, 0);
	/* A uid rule wins over the groups. */
	assert_int_equal(vmsig_policy_lookup(p, 1000, 27, groups, 2, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT |
			    VMSIG_RIGHT_LEASE_INPUT);
	/* Primary and supplementary groups add up. */
	assert_int_equal(vmsig_policy_lookup(p, 2000, 27, groups, 2, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_SUBMIT_INPUT | VMSIG_RIGHT_LEASE_INPUT |
			    VMSIG_RIGHT_MEM_READ);
	assert_int_equal(vmsig_policy_lookup(p, 2000, 2000, groups, 2, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_MEM_READ);
	/* Nobody names it. */
	r = 99;
	assert_int_equal(vmsig_policy_lookup(p, 2000, 2000, NULL, 0, &r), -EACCES);
	assert_int_equal(r, 99);
	vmsig_policy_free(p);

	/* Without a default rule: deny. */
	assert_int_equal(vmsig_policy_parse("uid 5 rights emit\n", &p, NULL, 0), 0);
	assert_int_equal(vmsig_policy_lookup(p, 6, 6, NULL, 0, &r), -EACCES);
	vmsig_policy_free(p);
	/* A default that allows; no final newline; names resolved. */
	assert_int_equal(vmsig_policy_parse("user root rights all", &p, NULL, 0),
			 -EINVAL);
	assert_int_equal(vmsig_policy_parse("uid root rights admin\n"
					    "gid root rights emit\n"
					    "default rights mem_read", &p, NULL, 0), 0);
	assert_int_equal(vmsig_policy_lookup(p, 0, 5, NULL, 0, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_ADMIN);
	assert_int_equal(vmsig_policy_lookup(p, 5, 0, NULL, 0, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_EMIT);
	assert_int_equal(vmsig_policy_lookup(p, 5, 5, NULL, 0, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_MEM_READ);
	vmsig_policy_free(p);
	/* Empty: deny everyone. */
	assert_int_equal(vmsig_policy_parse("", &p, NULL, 0), 0);
	assert_int_equal(vmsig_policy_lookup(p, 0, 0, NULL, 0, &r), -EACCES);
	vmsig_policy_free(p);
	vmsig_policy_free(NULL);
}

static void policy_bad(void **state)
{
	(void)state;
	expect_policy_error("uid 1000 rights emit\nuid 1000 rights mem_read\n",
			    "line 2: uid 1000 named twice");
	expect_policy_error("# c\n\ngid 5 rights emit\ngid 5 rights emit\n",
			    "line 4: gid 5 named twice");
	expect_policy_error("uid 1000 rights emit,fly\n",
			    "line 1: bad rights list 'emit,fly'");
	expect_policy_error("uid 1000 rights\n",
			    "line 1: expected 'uid WHO rights LIST'");
	expect_policy_error("uid 1000 rights emit extra\n",
			    "line 1: expected 'uid WHO rights LIST'");
	expect_policy_error("gid 27 grants emit\n",
			    "line 1: expected 'gid WHO rights LIST'");
	expect_policy_error("\n\nuser 1000 rights emit\n",
			    "line 3: unknown rule 'user' (uid, gid, default)");
	expect_policy_error("uid no-such-user-vmsig rights emit\n",
			    "line 1: unknown user 'no-such-user-vmsig'");
	expect_policy_error("gid no-such-group-vmsig rights emit\n",
			    "line 1: unknown group 'no-such-group-vmsig'");
	expect_policy_error("uid 4294967295 rights emit\n",
			    "line 1: unknown user '4294967295'");
	expect_policy_error("uid 12abc rights emit\n",
			    "line 1: unknown user '12abc'");
	expect_policy_error("default deny\ndefault rights emit\n",
			    "line 2: a second default rule");
	expect_policy_error("default allow\n",
			    "line 1: expected 'default deny' or 'default rights LIST'");
	expect_policy_error("default rights\n",
			    "line 1: expected 'default deny' or 'default rights LIST'");
	expect_policy_error("default rights bogus\n",
			    "line 1: bad rights list 'bogus'");
}

static void policy_file(void **state)
{
	char path[128], err[128];
	struct vmsig_policy *p;
	uint64_t r;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/policy", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("uid 42 rights mem_read\ndefault deny\n", f);
	fclose(f);
	assert_int_equal(vmsig_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(vmsig_policy_lookup(p, 42, 42, NULL, 0, &r), 0);
	assert_int_equal(r, VMSIG_RIGHT_MEM_READ);
	vmsig_policy_free(p);

	f = fopen(path, "w");
	fputs("uid 42 rights mem_read\nuid 43 rights mem_raed\n", f);
	fclose(f);
	assert_int_equal(vmsig_policy_load(path, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: bad rights list 'mem_raed'");
	unlink(path);
	assert_int_equal(vmsig_policy_load(path, &p, err, sizeof(err)), -ENOENT);
}

/* ------------------------------------------------------------- broker */

static int open_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

static void allowed_peer_gets_a_derived_fd(void **state)
{
	const uint64_t want = VMSIG_RIGHT_MEM_READ | VMSIG_RIGHT_EMIT |
			      VMSIG_RIGHT_LEASE_INPUT;
	struct vmsig_broker_reply rep;
	char text[128];
	uint64_t rights = 0;
	struct stat st;
	int fd = -1;

	int fds_before = open_fds();

	(void)state;
	snprintf(text, sizeof(text),
		 "uid %u rights mem_read,emit,lease_input\ndefault deny\n",
		 (unsigned int)getuid());
	start_broker(text);
	/* Anyone may ask: the policy decides. */
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);

	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights), 0);
	assert_true(fd >= 0);
	assert_int_equal(rights, want);
	/* The fd is a derived file with exactly those rights. */
	assert_int_equal(rights_of(fd), want);
	assert_int_equal(last_derive_flags, VMSIG_DERIVE_RIGHTS);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	/* The long form has the rest of the reply. */
	assert_int_equal(vmsig_broker_request(sock_path, &fd, &rep), 0);
	assert_int_equal(rep.magic, VMSIG_BROKER_MAGIC);
	assert_int_equal(rep.version, VMSIG_BROKER_VERSION);
	assert_int_equal(rep.ep_id, EP_ID);
	assert_int_equal(rep.rights, want);
	assert_string_equal(rep.message, "granted mem_read,emit,lease_input");
	assert_int_equal(rights_of(fd), want);
	close(fd);

	stop_broker();
	assert_int_equal(decisions, 2);
	assert_int_equal(last_decision.uid, getuid());
	assert_int_equal(last_decision.gid, getgid());
	assert_int_equal(last_decision.pid, getpid());
	assert_int_equal(last_decision.status, 0);
	assert_int_equal(last_decision.rights, want);
	/* The broker kept none of the fds it made (nor any other). */
	assert_int_equal(derives, 2);
	assert_int_equal(open_fds(), fds_before);
	/* free removed the socket. */
	assert_int_equal(stat(sock_path, &st), -1);
}

static void refused_peer_gets_eacces_and_no_fd(void **state)
{
	struct vmsig_broker_reply rep;
	char text[128];
	uint64_t rights = 99;
	int fd = 99;

	(void)state;
	snprintf(text, sizeof(text), "uid %u rights all\ndefault deny\n",
		 (unsigned int)getuid() + 1);
	start_broker(text);
	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights),
			 -EACCES);
	assert_int_equal(fd, -1);
	assert_int_equal(rights, 0);
	assert_int_equal(vmsig_broker_request(sock_path, &fd, &rep), -EACCES);
	assert_int_equal(fd, -1);
	assert_int_equal(rep.status, -EACCES);
	assert_int_equal(rep.rights, 0);
	assert_non_null(strstr(rep.message, "is not allowed on endpoint 7"));
	/* Nothing was derived for it. */
	assert_int_equal(derives, 0);
	stop_broker();
	assert_int_equal(last_decision.status, -EACCES);
}

static void group_and_default_rules(void **state)
{
	char text[128];
	uint64_t rights;
	int fd;

	(void)state;
	/* Our primary group grants, nothing names our uid. */
	snprintf(text, sizeof(text), "uid %u rights admin\ngid %u rights bind_sink\n",
		 (unsigned int)getuid() + 1, (unsigned int)getgid());
	start_broker(text);
	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights), 0);
	assert_int_equal(rights, VMSIG_RIGHT_BIND_SINK);
	assert_int_equal(rights_of(fd), VMSIG_RIGHT_BIND_SINK);
	close(fd);

	/* A new policy, from the next peer on. */
	struct vmsig_policy *p2;

	assert_int_equal(vmsig_policy_parse("default rights none\n", &p2, NULL, 0), 0);
	vmsig_broker_set_policy(broker, p2);
	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights), 0);
	assert_int_equal(rights, 0);
	assert_int_equal(rights_of(fd), 0);
	close(fd);
	stop_broker();
	vmsig_policy_free(p2);
}

static void derive_failure_is_reported(void **state)
{
	char text[128];
	uint64_t rights;
	int fd;

	(void)state;
	snprintf(text, sizeof(text), "uid %u rights admin\n", (unsigned int)getuid());
	start_broker(text);
	/* The broker's own file lacks the right. */
	derive_errno = EPERM;
	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights),
			 -EPERM);
	assert_int_equal(fd, -1);
	assert_int_equal(derives, 1);
}

struct client_result {
	int ret, fd;
	uint64_t rights;
};

static void *client_main(void *arg)
{
	struct client_result *r = arg;

	r->ret = vmsig_broker_client_connect(sock_path, &r->fd, &r->rights);
	return NULL;
}

static void handle_from_an_epoll_loop(void **state)
{
	struct vmsig_broker_cfg cfg = { .path = sock_path, .epfd = endpoint_fd };
	struct epoll_event ee = { .events = EPOLLIN };
	struct client_result res[3];
	pthread_t th[3];
	char text[128];
	int ep, served = 0;

	(void)state;
	snprintf(text, sizeof(text), "uid %u rights mem_read\n", (unsigned int)getuid());
	assert_int_equal(vmsig_policy_parse(text, &pol, NULL, 0), 0);
	cfg.policy = pol;
	cfg.mode = 0600;
	assert_int_equal(vmsig_broker_new(&cfg, &broker), 0);
	/* Nothing waits: handle() returns at once. */
	assert_int_equal(vmsig_broker_handle(broker), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, vmsig_broker_fd(broker), &ee), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, client_main, &res[i]), 0);
	while (served < 3) {
		struct epoll_event out;

		assert_int_equal(epoll_wait(ep, &out, 1, 5000), 1);
		served += vmsig_broker_handle(broker);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(res[i].ret, 0);
		assert_int_equal(res[i].rights, VMSIG_RIGHT_MEM_READ);
		assert_int_equal(rights_of(res[i].fd), VMSIG_RIGHT_MEM_READ);
		close(res[i].fd);
	}
	close(ep);
}

static void socket_path_rules(void **state)
{
	struct vmsig_broker_cfg cfg = { .path = sock_path, .epfd = endpoint_fd };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmsig_broker *b2;
	char file[128];
	int s, fd;
	uint64_t rights;

	(void)state;
	assert_int_equal(vmsig_policy_parse("default rights emit\n", &pol, NULL, 0), 0);
	cfg.policy = pol;
	/* A socket left by a dead broker is replaced. */
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	assert_int_equal(vmsig_broker_new(&cfg, &broker), 0);
	/* A live one is not. */
	assert_int_equal(vmsig_broker_new(&cfg, &b2), -EADDRINUSE);
	assert_null(b2);
	/* ... and the live one still works. */
	assert_int_equal(pthread_create(&broker_thread, NULL, run_broker, NULL), 0);
	broker_running = true;
	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights), 0);
	assert_int_equal(rights, VMSIG_RIGHT_EMIT);
	close(fd);
	stop_broker();

	/* Not a socket: left alone. */
	snprintf(file, sizeof(file), "%s/file", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	cfg.path = file;
	assert_int_equal(vmsig_broker_new(&cfg, &b2), -EADDRINUSE);
	unlink(file);
	/* Bad configs. */
	cfg.path = NULL;
	assert_int_equal(vmsig_broker_new(&cfg, &b2), -EINVAL);
	cfg.path = sock_path;
	cfg.policy = NULL;
	assert_int_equal(vmsig_broker_new(&cfg, &b2), -EINVAL);
	/* No broker there. */
	assert_int_equal(vmsig_broker_client_connect(sock_path, &fd, &rights),
			 -ENOENT);
	assert_int_equal(fd, -1);
}

static void stop_before_run(void **state)
{
	(void)state;
	start_broker("default deny\n");
	stop_broker();
	/* A stop asked before run() makes it return at once. */
	struct vmsig_broker_cfg cfg = { .path = sock_path, .epfd = endpoint_fd,
					.policy = pol };

	assert_int_equal(vmsig_broker_new(&cfg, &broker), 0);
	vmsig_broker_stop(broker);
	assert_int_equal(vmsig_broker_run(broker), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(right_names),
		cmocka_unit_test(policy_good),
		cmocka_unit_test(policy_bad),
		T(policy_file),
		T(allowed_peer_gets_a_derived_fd),
		T(refused_peer_gets_eacces_and_no_fd),
		T(group_and_default_rules),
		T(derive_failure_is_reported),
		T(handle_from_an_epoll_loop),
		T(socket_path_rules),
		T(stop_before_run),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
