// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmsigctl attach: attach to a running QEMU by pid and run libvmsig's bus
 * with the stock adapters until interrupted or until the VM exits.
 *
 *   vmsigctl [--json] attach --pid PID --qmp SOCKET [--qmp-input SOCKET]
 *		[--qmp-memctx SOCKET] [--serve SOCKET --policy FILE]
 *
 * The vmhost adapter runs on --qmp; the input and memctx adapters run when
 * their own QMP sockets are given (QEMU serves one client per QMP socket,
 * so the adapters cannot share one).  With --serve the control broker
 * listens on SOCKET and hands each local control an endpoint file derived
 * with the rights the policy FILE grants it (vmsig_broker.h has the policy
 * format).  What happens is printed as it happens: the endpoint's records,
 * decoded, and the broker's decisions; with --json one JSON object per
 * line, the command's own object last.
 *
 * Threads: the bus loop and the broker each run in a thread of their own
 * (with SIGINT and SIGTERM blocked); the main thread prints the records of
 * a rightless file derived from the endpoint and notices the signals.
 * SIGINT or SIGTERM stops the broker and the bus, closes the adapters and
 * detaches: exit status 0.  The VM exiting ends the bus by itself: exit
 * status 0 once every record was printed.
 *
 * The command parses its own options; main() gives it the command line
 * (ctl_attach_dispatch()).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "vmsig.h"
#include "vmsig_adapters.h"
#include "vmsig_broker.h"
#include "vmsig_bus.h"
#include "vmsig_names.h"

#define ATTACH_SYNOPSIS \
	"attach --pid PID --qmp SOCKET [--qmp-input SOCKET] [--qmp-memctx SOCKET]\n" \
	"         [--serve SOCKET --policy FILE]"
#define ATTACH_SUMMARY \
	"attach to a running QEMU and run the vmhost, input and memctx adapters\n" \
	"      until interrupted or the VM exits; --serve: hand controls derived\n" \
	"      endpoint files by policy"

/* QMP bounds: the handshake and each command (memctx blocks the loop). */
#define QMP_TIMEOUT_MS		10000
#define MEMCTX_TIMEOUT_MS	2000
/* How long the records left after the VM exited may take to read. */
#define DRAIN_MS		2000

struct attach_opts {
	pid_t pid;
	const char *qmp, *qmp_input, *qmp_memctx;
	const char *serve, *policy;
	bool json, help;
};

struct attach {
	struct ctl c;
	struct ctl_args args;	/* only .json matters to out.c */
	struct attach_opts o;
	pthread_mutex_t out_lock;
	uint64_t t0;
	struct vmsig_bus *bus;
	atomic_bool bus_done;
	int bus_ret;
	struct vmsig_broker *broker;
	int broker_ret;
};

void ctl_attach_usage(FILE *f)
{
	fprintf(f, "\nmore commands:\n  %s\n      %s\n", ATTACH_SYNOPSIS, ATTACH_SUMMARY);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmsigctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vmsigctl attach --help'.\n");
	return CTL_EXIT_USAGE;
}

static int parse(int argc, char **argv, int cmd_at, struct attach_opts *o)
{
	static const char *const names[] = {
		"--pid", "--qmp", "--qmp-input", "--qmp-memctx", "--serve", "--policy",
	};
	const char **dest[] = {
		NULL, &o->qmp, &o->qmp_input, &o->qmp_memctx, &o->serve, &o->policy,
	};

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		size_t len, k;

		if (i == cmd_at)
			continue;
		if (!strcmp(arg, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			o->help = true;
			continue;
		}
		if (strncmp(arg, "--", 2))
			return usage_error("unexpected argument '%s'", arg);
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k]) == len && !strncmp(names[k], arg, len))
				break;
		if (k == sizeof(names) / sizeof(names[0]))
			return usage_error("unknown option '%.*s' for attach", (int)len, arg);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage_error("%s needs a value", names[k]);
		if (!*val)
			return usage_error("%s needs a value", names[k]);
		if (k == 0) {
			char *end;
			long v;

			errno = 0;
			v = strtol(val, &end, 10);
			if (*val < '0' || *val > '9' || errno || *end || v < 1 || v > INT_MAX)
				return usage_error("--pid: '%s' is not a process id", val);
			if (o->pid)
				return usage_error("--pid given twice");
			o->pid = (pid_t)v;
		} else {
			if (*dest[k])
				return usage_error("%s given twice", names[k]);
			*dest[k] = val;
		}
	}
	if (o->help)
		return 0;
	if (!o->pid)
		return usage_error("attach needs --pid PID (the QEMU process)");
	if (!o->qmp)
		return usage_error("attach needs --qmp SOCKET (QEMU's QMP socket for the vmhost adapter)");
	if (!o->serve != !o->policy)
		return usage_error("--serve and --policy go together");
	return 0;
}

/* ------------------------------------------------------------ output */

/* One line of prose, or the JSON object @o (consumed). */
static void emit(struct attach *at, struct json_object *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emit(struct attach *at, struct json_object *o, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&at->out_lock);
	if (at->o.json) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	fflush(stdout);
	pthread_mutex_unlock(&at->out_lock);
	json_object_put(o);
}

static struct json_object *jev(const char *what)
{
	struct json_object *o = json_object_new_object();

	j_str(o, "event", what);
	return o;
}

static const char *power_name(int32_t a)
{
	static const char *const n[] = { "?", "pause", "resume", "reset",
					 "powerdown", "quit" };

	return a >= 0 && a <= VMSIG_POWER_QUIT ? n[a] : "?";
}

/* The record's own fields, in a few words. */
static void describe(const struct vmsig_event *ev, char *buf, size_t size)
{
	const char *n;

	switch (ev->type) {
	case VMSIG_EV_VM_STATE:
		n = vmsig_vm_state_name((uint32_t)ev->aux);
		snprintf(buf, size, "%s (QMP %.11s)%s", n ? n : "?",
			 (const char *)&ev->payload.bytes[4],
			 ev->payload.u32[0] & VMSIG_VMHOST_F_GUEST ? ", by the guest" : "");
		break;
	case VMSIG_EV_LIFECYCLE:
		snprintf(buf, size, "%s", ev->aux == VMSIG_LC_VMM_EXIT ?
			 "vmm_exit (the VMM's address space is gone)" : "?");
		break;
	case VMSIG_EV_MEMCTX:
		n = vmsig_paging_name((uint32_t)ev->aux);
		snprintf(buf, size, "%s root 0x%llx epoch %llu", n ? n : "invalidated",
			 (unsigned long long)ev->payload.u64[0],
			 (unsigned long long)ev->payload.u64[1]);
		break;
	case VMSIG_EV_ACT_ACK:
		snprintf(buf, size, "corr %llu status %d", (unsigned long long)ev->corr,
			 ev->aux);
		break;
	case VMSIG_EV_LEASE:
		n = vmsig_lease_change_name(ev->payload.u32[3]);
		snprintf(buf, size, "%s %s token %llu holder %u",
			 vmsig_lease_class_name((uint32_t)ev->aux) ?
			 vmsig_lease_class_name((uint32_t)ev->aux) : "?", n ? n : "?",
			 (unsigned long long)ev->payload.u64[0], ev->payload.u32[2]);
		break;
	case VMSIG_EV_MEMWRITE:
		snprintf(buf, size, "%s%u bytes at 0x%llx%s token %llu status %d",
			 ev->payload.u32[3] & VMSIG_WRITE_CAS ? "cas " : "",
			 ev->payload.u32[2], (unsigned long long)ev->payload.u64[0],
			 ev->payload.u32[3] & VMSIG_WRITE_VIRT ? " (virtual)" : "",
			 (unsigned long long)ev->corr, ev->aux);
		break;
	case VMSIG_EV_DROPPED:
		snprintf(buf, size, "lost %llu records",
			 (unsigned long long)ev->payload.u64[0]);
		break;
	case VMSIG_EV_POWER:
		snprintf(buf, size, "%s", power_name(ev->aux));
		break;
	case VMSIG_EV_INPUT:
		snprintf(buf, size, "kind %u code %u value %d", ev->payload.u16[4],
			 ev->payload.u16[5], (int32_t)ev->payload.u32[3]);
		break;
	default:
		snprintf(buf, size, "aux %d corr %llu", ev->aux,
			 (unsigned long long)ev->corr);
		break;
	}
}

static void print_record(struct attach *at, const struct vmsig_event *ev)
{
	const char *type = vmsig_event_type_name(ev->type);
	const char *src = vmsig_source_name(ev->source);
	struct json_object *o = jev("record");
	char tbuf[16], txt[192];

	if (!type) {
		snprintf(tbuf, sizeof(tbuf), "0x%04x", ev->type);
		type = tbuf;
	}
	describe(ev, txt, sizeof(txt));
	j_u64(o, "seq", ev->seq);
	j_u64(o, "ts_ns", ev->ts_ns);
	j_str(o, "type", type);
	j_str(o, "source", src ? src : "?");
	j_int(o, "aux", ev->aux);
	j_u64(o, "corr", ev->corr);
	j_bool(o, "replay", ev->flags & VMSIG_EVF_REPLAY);
	j_str(o, "text", txt);
	emit(at, o, "%10.3f  #%-5llu %-9s %-7s %s%s",
	     ev->ts_ns >= at->t0 ? (double)(ev->ts_ns - at->t0) / 1e9 : 0.0,
	     (unsigned long long)ev->seq, type, src ? src : "?", txt,
	     ev->flags & VMSIG_EVF_REPLAY ? " [replay]" : "");
}

static void on_decision(void *arg, const struct vmsig_broker_decision *d)
{
	struct attach *at = arg;
	struct json_object *o = jev("broker");
	char rights[256];

	vmsig_rights_format(d->rights, rights, sizeof(rights));
	j_int(o, "pid", d->pid);
	j_int(o, "uid", d->uid);
	j_int(o, "gid", d->gid);
	j_int(o, "status", d->status);
	j_str(o, "rights", rights);
	j_str(o, "message", d->message);
	if (d->status)
		emit(at, o, "broker: pid %d (uid %d, gid %d) refused: %s", (int)d->pid,
		     (int)d->uid, (int)d->gid, d->message ? d->message : strerror(-d->status));
	else
		emit(at, o, "broker: pid %d (uid %d, gid %d) granted %s", (int)d->pid,
		     (int)d->uid, (int)d->gid, rights);
}

/* ----------------------------------------------------------- threads */

static void *bus_main(void *arg)
{
	struct attach *at = arg;

	at->bus_ret = vmsig_bus_run(at->bus);
	atomic_store(&at->bus_done, true);
	/* Wake the main thread's poll(); it may be waiting on a quiet file. */
	kill(getpid(), SIGURG);
	return NULL;
}

static void *broker_main(void *arg)
{
	struct attach *at = arg;

	at->broker_ret = vmsig_broker_run(at->broker);
	return NULL;
}

static void on_urg(int sig)
{
	(void)sig;
}

/* Start @fn with SIGINT and SIGTERM blocked, so they reach the main thread. */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGURG);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

/* Print every record queued on @wfd; -EPIPE at end of file. */
static int print_pending(struct attach *at, int wfd)
{
	struct vmsig_event evs[32];
	int n;

	for (;;) {
		n = vmsig_read_events(wfd, evs, 32);
		if (n <= 0)
			return n;
		for (int i = 0; i < n; i++)
			print_record(at, &evs[i]);
	}
}

/* ------------------------------------------------------------ the command */

static int add_adapter(struct attach *at, const char *name,
		       const vmsig_adapter_ops *ops, const void *cfg,
		       const char *sock)
{
	struct json_object *o;
	int err = vmsig_bus_add_adapter(at->bus, ops, cfg);

	if (err) {
		ctl_fail(&at->c, err, "the %s adapter could not start on %s", name, sock);
		if (err == -ETIMEDOUT)
			ctl_hint(&at->c, "QEMU did not greet on that socket: is it a QMP socket (-qmp unix:PATH,server=on,wait=off), and is no other client connected to it?");
		else if (err == -ENOENT || err == -ECONNREFUSED)
			ctl_hint(&at->c, "nothing listens on %s: start QEMU with -qmp unix:%s,server=on,wait=off",
				 sock, sock);
		return err;
	}
	o = jev("adapter");
	j_str(o, "adapter", name);
	j_str(o, "qmp", sock);
	emit(at, o, "adapter %-6s on %s", name, sock);
	return 0;
}

static int run(struct attach *at)
{
	const struct attach_opts *o = &at->o;
	struct vmsig_vmhost_cfg host = {
		.qmp = { .qmp_path = o->qmp, .qmp_fd = -1, .timeout_ms = QMP_TIMEOUT_MS },
	};
	struct vmsig_input_cfg input = {
		.qmp = { .qmp_path = o->qmp_input, .qmp_fd = -1, .timeout_ms = QMP_TIMEOUT_MS },
	};
	struct vmsig_memctx_cfg memctx = {
		.qmp = { .qmp_path = o->qmp_memctx, .qmp_fd = -1,
			 .timeout_ms = MEMCTX_TIMEOUT_MS },
	};
	struct vmsig_policy *pol = NULL;
	struct vmsig_bus_stats st;
	struct sigaction sa;
	pthread_t bus_t, broker_t;
	bool bus_started = false, broker_started = false;
	const char *reason = NULL;
	struct json_object *jo;
	uint32_t ep_id = 0;
	int vmfd, dev, ep = -1, wfd = -1, err, rc = CTL_EXIT_FAIL;
	char perr[256];

	j_int(at->c.out, "pid", o->pid);
	ctl_catch_signals();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_urg;
	sigaction(SIGURG, &sa, NULL);

	/* The policy first: a typo in it should not cost an attach. */
	if (o->policy) {
		err = vmsig_policy_load(o->policy, &pol, perr, sizeof(perr));
		if (err)
			return err == -EINVAL ?
				ctl_fail(&at->c, 0, "policy %s: %s", o->policy, perr) :
				ctl_fail(&at->c, err, "cannot read the policy %s", o->policy);
	}

	vmfd = ctl_take_vm_fd(&at->c, o->pid);
	if (vmfd < 0)
		goto out;
	dev = ctl_open_dev(&at->c);
	if (dev < 0) {
		close(vmfd);
		goto out;
	}
	ep = vmsig_attach(dev, VMSIG_BACKEND_KVM, vmfd, 0, 0, 0, &ep_id);
	close(dev);
	close(vmfd);
	if (ep < 0) {
		ctl_fail(&at->c, ep, "attach to process %d's VM failed", (int)o->pid);
		goto out;
	}
	j_int(at->c.out, "ep_id", ep_id);
	at->t0 = ctl_now_ns();
	jo = jev("attached");
	j_int(jo, "pid", o->pid);
	j_int(jo, "ep_id", ep_id);
	emit(at, jo, "attached to QEMU pid %d: endpoint %u (kvm)", (int)o->pid, ep_id);

	/* What this command prints: a file with no right, every record. */
	wfd = vmsig_derive(ep, 0, VMSIG_DERIVE_RIGHTS | VMSIG_ATTACH_NONBLOCK);
	if (wfd < 0) {
		ctl_fail(&at->c, wfd, "cannot derive a file to watch the endpoint");
		goto out;
	}
	err = vmsig_set_sub(wfd, (1ULL << VMSIG_SRC_MAX) - 1,
			    (1ULL << VMSIG_EV_LIFECYCLE) | (1ULL << VMSIG_EV_MEMCTX) |
			    (1ULL << VMSIG_EV_LEASE) | (1ULL << VMSIG_EV_MEMWRITE), 1024);
	if (err) {
		ctl_fail(&at->c, err, "cannot subscribe the watching file");
		goto out;
	}

	err = vmsig_bus_new(ep, &at->bus);
	if (err) {
		ctl_fail(&at->c, err, "cannot make the bus");
		goto out;
	}
	if (add_adapter(at, "vmhost", vmsig_vmhost_ops(), &host, o->qmp))
		goto out;
	if (o->qmp_input && add_adapter(at, "input", vmsig_input_ops(), &input,
					o->qmp_input))
		goto out;
	if (o->qmp_memctx && add_adapter(at, "memctx", vmsig_memctx_ops(), &memctx,
					 o->qmp_memctx))
		goto out;
	if (!o->qmp_input || !o->qmp_memctx) {
		char note[160];

		snprintf(note, sizeof(note),
			 "%s%s%s not started (give QEMU one -qmp socket per adapter)",
			 o->qmp_input ? "" : "input (--qmp-input)",
			 !o->qmp_input && !o->qmp_memctx ? " and " : "",
			 o->qmp_memctx ? "" : "memctx (--qmp-memctx)");
		jo = jev("note");
		j_str(jo, "text", note);
		emit(at, jo, "note: %s", note);
	}

	if (o->serve) {
		struct vmsig_broker_cfg bc = {
			.path = o->serve, .epfd = ep, .policy = pol,
			.on_decision = on_decision, .arg = at,
		};

		err = vmsig_broker_new(&bc, &at->broker);
		if (err) {
			ctl_fail(&at->c, err, "cannot serve controls on %s", o->serve);
			goto out;
		}
		err = start_thread(&broker_t, broker_main, at);
		if (err) {
			ctl_fail(&at->c, err, "cannot start the broker");
			goto out;
		}
		broker_started = true;
		jo = jev("serving");
		j_str(jo, "socket", o->serve);
		j_str(jo, "policy", o->policy);
		emit(at, jo, "serving controls on %s (policy %s)", o->serve, o->policy);
	}

	err = start_thread(&bus_t, bus_main, at);
	if (err) {
		ctl_fail(&at->c, err, "cannot start the bus");
		goto out;
	}
	bus_started = true;
	emit(at, jev("running"), "running; SIGINT or SIGTERM detaches");

	/* Print records until a signal or the end of the bus. */
	for (;;) {
		struct pollfd p = { .fd = wfd, .events = POLLIN };

		if (ctl_interrupted()) {
			reason = "signal";
			break;
		}
		if (atomic_load(&at->bus_done))
			break;
		if (poll(&p, 1, 500) > 0 && print_pending(at, wfd) == -EPIPE)
			/* The endpoint is dead; the bus notices it too. */
			break;
	}

	if (broker_started) {
		vmsig_broker_stop(at->broker);
		pthread_join(broker_t, NULL);
		broker_started = false;
	}
	if (!reason) {
		/* The VM went away: say everything the endpoint said. */
		uint64_t deadline = ctl_now_ns() + DRAIN_MS * 1000000ULL;

		while (ctl_now_ns() < deadline && print_pending(at, wfd) != -EPIPE)
			vmsig_wait_events(wfd, 100);
		pthread_join(bus_t, NULL);
		bus_started = false;
		if (at->bus_ret && at->bus_ret != -EPIPE) {
			ctl_fail(&at->c, at->bus_ret, "the bus stopped");
			goto out;
		}
		reason = "vm_exit";
	} else {
		print_pending(at, wfd);
	}
	rc = CTL_EXIT_OK;
out:
	if (broker_started) {
		vmsig_broker_stop(at->broker);
		pthread_join(broker_t, NULL);
	}
	vmsig_broker_free(at->broker);
	if (bus_started) {
		vmsig_bus_stop(at->bus);
		pthread_join(bus_t, NULL);
	}
	if (at->bus) {
		vmsig_bus_get_stats(at->bus, &st);
		jo = json_object_new_object();
		j_u64(jo, "emitted", st.emitted);
		j_u64(jo, "emit_errors", st.emit_errors);
		j_u64(jo, "routed", st.routed);
		j_u64(jo, "bus_acks", st.bus_acks);
		j_u64(jo, "dropped", st.dropped);
		j_u64(jo, "adapters_failed", st.adapters_failed);
		json_object_object_add(at->c.out, "bus", jo);
		vmsig_bus_free(at->bus);
		if (rc == CTL_EXIT_OK && !at->o.json)
			printf("detached (%s): %llu records emitted, %llu decisions routed, "
			       "%llu answered by the bus, %llu adapters dropped\n",
			       !strcmp(reason, "signal") ? "interrupted" : "the VM exited",
			       (unsigned long long)st.emitted, (unsigned long long)st.routed,
			       (unsigned long long)st.bus_acks,
			       (unsigned long long)st.adapters_failed);
	}
	if (reason)
		j_str(at->c.out, "reason", reason);
	if (wfd >= 0)
		close(wfd);
	if (ep >= 0)
		close(ep);
	vmsig_policy_free(pol);
	return rc;
}

/* The command word: the first argument that is not an option. */
static int command_at(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-' || !argv[i][1])
			return i;
	return 0;
}

int ctl_attach_dispatch(int argc, char **argv)
{
	struct attach at;
	int i = command_at(argc, argv), rc;

	if (!i)
		return -1;
	if (!strcmp(argv[i], "help") && i + 1 < argc && !strcmp(argv[i + 1], "attach")) {
		printf("usage: vmsigctl [--json] %s\n  %s\n", ATTACH_SYNOPSIS, ATTACH_SUMMARY);
		return CTL_EXIT_OK;
	}
	if (strcmp(argv[i], "attach"))
		return -1;
	memset(&at, 0, sizeof(at));
	rc = parse(argc, argv, i, &at.o);
	if (rc)
		return rc;
	if (at.o.help) {
		printf("usage: vmsigctl [--json] %s\n  %s\n", ATTACH_SYNOPSIS, ATTACH_SUMMARY);
		return CTL_EXIT_OK;
	}
	at.args.json = at.o.json;
	at.args.kvm_fd = -1;
	at.c.args = &at.args;
	at.c.out = json_object_new_object();
	if (!at.c.out) {
		fprintf(stderr, "vmsigctl: out of memory\n");
		return CTL_EXIT_FAIL;
	}
	pthread_mutex_init(&at.out_lock, NULL);
	j_str(at.c.out, "command", "attach");
	rc = run(&at);
	j_bool(at.c.out, "ok", rc == CTL_EXIT_OK);
	rc = ctl_finish(&at.c, rc);
	json_object_put(at.c.out);
	pthread_mutex_destroy(&at.out_lock);
	return rc;
}
