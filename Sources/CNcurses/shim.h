// Wrappers for what Swift cannot import from ncurses: macros (attributes, key
// codes, getmaxyx) and the global variables Swift 6 rejects as shared mutable state.
// Only STSTerminal imports this module.
#ifndef STS_CNCURSES_SHIM_H
#define STS_CNCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *sts_stdscr(void) { return stdscr; }
static inline int sts_lines(void) { return LINES; }
static inline int sts_cols(void) { return COLS; }
static inline int sts_colors(void) { return COLORS; }
static inline int sts_color_pairs(void) { return COLOR_PAIRS; }

static inline int sts_rows_of(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int sts_cols_of(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }

static inline attr_t sts_a_normal(void) { return A_NORMAL; }
static inline attr_t sts_a_bold(void) { return A_BOLD; }
static inline attr_t sts_a_reverse(void) { return A_REVERSE; }
static inline attr_t sts_a_dim(void) { return A_DIM; }
static inline attr_t sts_a_underline(void) { return A_UNDERLINE; }

/// Sets attributes and colour pair, then writes `n` wide characters at (y, x) on stdscr.
static inline int sts_put(int y, int x, const wchar_t *s, int n, attr_t attrs, short pair) {
    wattr_set(stdscr, attrs, pair, NULL);
    return mvwaddnwstr(stdscr, y, x, s, n);
}

static inline int sts_ok(void) { return OK; }
static inline int sts_err(void) { return ERR; }
static inline int sts_key_code_yes(void) { return KEY_CODE_YES; }
static inline int sts_key_up(void) { return KEY_UP; }
static inline int sts_key_down(void) { return KEY_DOWN; }
static inline int sts_key_left(void) { return KEY_LEFT; }
static inline int sts_key_right(void) { return KEY_RIGHT; }
static inline int sts_key_ppage(void) { return KEY_PPAGE; }
static inline int sts_key_npage(void) { return KEY_NPAGE; }
static inline int sts_key_home(void) { return KEY_HOME; }
static inline int sts_key_end(void) { return KEY_END; }
static inline int sts_key_enter(void) { return KEY_ENTER; }
static inline int sts_key_backspace(void) { return KEY_BACKSPACE; }
static inline int sts_key_dc(void) { return KEY_DC; }
static inline int sts_key_btab(void) { return KEY_BTAB; }
static inline int sts_key_resize(void) { return KEY_RESIZE; }
static inline int sts_key_mouse(void) { return KEY_MOUSE; }
static inline int sts_key_f0(void) { return KEY_F0; }

/// Mouse: wheel and left button, reported without the click-interval delay.
static inline int sts_enable_mouse(void) {
    mouseinterval(0);
    return mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL) != 0;
}
/// The last mouse event: returns 1 for wheel up, 2 for wheel down, 3 for a left press (row in *y), 0 otherwise.
static inline int sts_mouse_event(int *y) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return 0;
    *y = ev.y;
    if (ev.bstate & BUTTON4_PRESSED) return 1;
#ifdef BUTTON5_PRESSED
    if (ev.bstate & BUTTON5_PRESSED) return 2;
#endif
    if (ev.bstate & BUTTON1_PRESSED) return 3;
    return 0;
}

static inline const char *sts_codeset(void) { return nl_langinfo(CODESET); }

#endif
