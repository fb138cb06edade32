// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key names for the input adapter: QEMU's QKeyCode names, and the Linux
 * key codes they stand for.
 *
 * qcode_names[] is QEMU 7.2's QKeyCode enum in declaration order (taken
 * from query-qmp-schema of qemu-system-x86_64 7.2, Debian 12), so a qcode
 * index here is QEMU's own enum value.  key_qcode[] maps Linux KEY_* codes
 * (<linux/input-event-codes.h>) to those indices as QEMU's keycodemapdb
 * does; entries are index + 1 so that 0 means "no mapping".
 */
#include <errno.h>
#include <string.h>
#include <linux/input-event-codes.h>

#include "vmsig_adapters.h"

static const char *const qcode_names[] = {
	"unmapped", "shift", "shift_r", "alt", "alt_r", "ctrl", "ctrl_r",
	"menu", "esc", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0",
	"minus", "equal", "backspace", "tab", "q", "w", "e", "r", "t", "y",
	"u", "i", "o", "p", "bracket_left", "bracket_right", "ret", "a", "s",
	"d", "f", "g", "h", "j", "k", "l", "semicolon", "apostrophe",
	"grave_accent", "backslash", "z", "x", "c", "v", "b", "n", "m",
	"comma", "dot", "slash", "asterisk", "spc", "caps_lock", "f1", "f2",
	"f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "num_lock",
	"scroll_lock", "kp_divide", "kp_multiply", "kp_subtract", "kp_add",
	"kp_enter", "kp_decimal", "sysrq", "kp_0", "kp_1", "kp_2", "kp_3",
	"kp_4", "kp_5", "kp_6", "kp_7", "kp_8", "kp_9", "less", "f11", "f12",
	"print", "home", "pgup", "pgdn", "end", "left", "up", "down", "right",
	"insert", "delete", "stop", "again", "props", "undo", "front", "copy",
	"open", "paste", "find", "cut", "lf", "help", "meta_l", "meta_r",
	"compose", "pause", "ro", "hiragana", "henkan", "yen", "muhenkan",
	"katakanahiragana", "kp_comma", "kp_equals", "power", "sleep", "wake",
	"audionext", "audioprev", "audiostop", "audioplay", "audiomute",
	"volumeup", "volumedown", "mediaselect", "mail", "calculator",
	"computer", "ac_home", "ac_back", "ac_forward", "ac_refresh",
	"ac_bookmarks", "lang1", "lang2",
};

#define NQCODES (sizeof(qcode_names) / sizeof(qcode_names[0]))
_Static_assert(NQCODES == 150, "QEMU 7.2 has 150 QKeyCodes");

/* Linux KEY_* -> qcode index + 1; the comment is the qcode's name. */
#define Q(idx) ((idx) + 1)
static const unsigned char key_qcode[KEY_COMPOSE + 1] = {
	[KEY_ESC] = Q(8),	/* esc */
	[KEY_1] = Q(9),	/* 1 */
	[KEY_2] = Q(10),	/* 2 */
	[KEY_3] = Q(11),	/* 3 */
	[KEY_4] = Q(12),	/* 4 */
	[KEY_5] = Q(13),	/* 5 */
	[KEY_6] = Q(14),	/* 6 */
	[KEY_7] = Q(15),	/* 7 */
	[KEY_8] = Q(16),	/* 8 */
	[KEY_9] = Q(17),	/* 9 */
	[KEY_0] = Q(18),	/* 0 */
	[KEY_MINUS] = Q(19),	/* minus */
	[KEY_EQUAL] = Q(20),	/* equal */
	[KEY_BACKSPACE] = Q(21),	/* backspace */
	[KEY_TAB] = Q(22),	/* tab */
	[KEY_Q] = Q(23),	/* q */
	[KEY_W] = Q(24),	/* w */
	[KEY_E] = Q(25),	/* e */
	[KEY_R] = Q(26),	/* r */
	[KEY_T] = Q(27),	/* t */
	[KEY_Y] = Q(28),	/* y */
	[KEY_U] = Q(29),	/* u */
	[KEY_I] = Q(30),	/* i */
	[KEY_O] = Q(31),	/* o */
	[KEY_P] = Q(32),	/* p */
	[KEY_LEFTBRACE] = Q(33),	/* bracket_left */
	[KEY_RIGHTBRACE] = Q(34),	/* bracket_right */
	[KEY_ENTER] = Q(35),	/* ret */
	[KEY_LEFTCTRL] = Q(5),	/* ctrl */
	[KEY_A] = Q(36),	/* a */
	[KEY_S] = Q(37),	/* s */
	[KEY_D] = Q(38),	/* d */
	[KEY_F] = Q(39),	/* f */
	[KEY_G] = Q(40),	/* g */
	[KEY_H] = Q(41),	/* h */
	[KEY_J] = Q(42),	/* j */
	[KEY_K] = Q(43),	/* k */
	[KEY_L] = Q(44),	/* l */
	[KEY_SEMICOLON] = Q(45),	/* semicolon */
	[KEY_APOSTROPHE] = Q(46),	/* apostrophe */
	[KEY_GRAVE] = Q(47),	/* grave_accent */
	[KEY_LEFTSHIFT] = Q(1),	/* shift */
	[KEY_BACKSLASH] = Q(48),	/* backslash */
	[KEY_Z] = Q(49),	/* z */
	[KEY_X] = Q(50),	/* x */
	[KEY_C] = Q(51),	/* c */
	[KEY_V] = Q(52),	/* v */
	[KEY_B] = Q(53),	/* b */
	[KEY_N] = Q(54),	/* n */
	[KEY_M] = Q(55),	/* m */
	[KEY_COMMA] = Q(56),	/* comma */
	[KEY_DOT] = Q(57),	/* dot */
	[KEY_SLASH] = Q(58),	/* slash */
	[KEY_RIGHTSHIFT] = Q(2),	/* shift_r */
	[KEY_KPASTERISK] = Q(75),	/* kp_multiply */
	[KEY_LEFTALT] = Q(3),	/* alt */
	[KEY_SPACE] = Q(60),	/* spc */
	[KEY_CAPSLOCK] = Q(61),	/* caps_lock */
	[KEY_F1] = Q(62),	/* f1 */
	[KEY_F2] = Q(63),	/* f2 */
	[KEY_F3] = Q(64),	/* f3 */
	[KEY_F4] = Q(65),	/* f4 */
	[KEY_F5] = Q(66),	/* f5 */
	[KEY_F6] = Q(67),	/* f6 */
	[KEY_F7] = Q(68),	/* f7 */
	[KEY_F8] = Q(69),	/* f8 */
	[KEY_F9] = Q(70),	/* f9 */
	[KEY_F10] = Q(71),	/* f10 */
	[KEY_NUMLOCK] = Q(72),	/* num_lock */
	[KEY_SCROLLLOCK] = Q(73),	/* scroll_lock */
	[KEY_KP7] = Q(88),	/* kp_7 */
	[KEY_KP8] = Q(89),	/* kp_8 */
	[KEY_KP9] = Q(90),	/* kp_9 */
	[KEY_KPMINUS] = Q(76),	/* kp_subtract */
	[KEY_KP4] = Q(85),	/* kp_4 */
	[KEY_KP5] = Q(86),	/* kp_5 */
	[KEY_KP6] = Q(87),	/* kp_6 */
	[KEY_KPPLUS] = Q(77),	/* kp_add */
	[KEY_KP1] = Q(82),	/* kp_1 */
	[KEY_KP2] = Q(83),	/* kp_2 */
	[KEY_KP3] = Q(84),	/* kp_3 */
	[KEY_KP0] = Q(81),	/* kp_0 */
	[KEY_KPDOT] = Q(79),	/* kp_decimal */
	[KEY_102ND] = Q(91),	/* less */
	[KEY_F11] = Q(92),	/* f11 */
	[KEY_F12] = Q(93),	/* f12 */
	[KEY_KPENTER] = Q(78),	/* kp_enter */
	[KEY_RIGHTCTRL] = Q(6),	/* ctrl_r */
	[KEY_KPSLASH] = Q(74),	/* kp_divide */
	[KEY_SYSRQ] = Q(80),	/* sysrq */
	[KEY_RIGHTALT] = Q(4),	/* alt_r */
	[KEY_HOME] = Q(95),	/* home */
	[KEY_UP] = Q(100),	/* up */
	[KEY_PAGEUP] = Q(96),	/* pgup */
	[KEY_LEFT] = Q(99),	/* left */
	[KEY_RIGHT] = Q(102),	/* right */
	[KEY_END] = Q(98),	/* end */
	[KEY_DOWN] = Q(101),	/* down */
	[KEY_PAGEDOWN] = Q(97),	/* pgdn */
	[KEY_INSERT] = Q(103),	/* insert */
	[KEY_DELETE] = Q(104),	/* delete */
	[KEY_PAUSE] = Q(120),	/* pause */
	[KEY_LEFTMETA] = Q(117),	/* meta_l */
	[KEY_RIGHTMETA] = Q(118),	/* meta_r */
	[KEY_COMPOSE] = Q(119),	/* compose */
};
#undef Q

const char *vmsig_input_qcode_name(unsigned int qcode)
{
	return qcode < NQCODES ? qcode_names[qcode] : NULL;
}

int vmsig_input_qcode_from_name(const char *name)
{
	if (!name)
		return -ENOENT;
	for (unsigned int i = 0; i < NQCODES; i++)
		if (!strcmp(qcode_names[i], name))
			return (int)i;
	return -ENOENT;
}

int vmsig_input_key_qcode(unsigned int key)
{
	if (key >= sizeof(key_qcode) || !key_qcode[key])
		return -ENOENT;
	return key_qcode[key] - 1;
}
