package org.acme.users.validation;

/**
 * Character-level checks shared by the validators and the chat socket. Lengths are counted in code points (what a
 * person calls characters; an emoji is one), never in UTF-16 units.
 */
public final class UnicodeText {

    private UnicodeText() {
    }

    /** False when TEXT holds a surrogate that is not half of a pair: such a string has no UTF-8 form to store. */
    public static boolean wellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    public static int length(String text) {
        return text.codePointCount(0, text.length());
    }

    /** C0 and C1 controls, DEL, and the line and paragraph separators: never part of a one-line value. */
    public static boolean isControl(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** U+FDD0..U+FDEF and the last two code points of every plane: reserved by Unicode, never text. */
    public static boolean isNoncharacter(int cp) {
        return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
    }

    /** Embedding, override and isolate controls: they reorder what a reader sees (the "Trojan Source" trick). */
    public static boolean isBidiControl(int cp) {
        return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    }

    /**
     * Whether CP puts ink on the screen: a letter, digit, punctuation mark or symbol. Spaces (NBSP included), format
     * characters (zero-width space, joiners), combining marks alone and the letters Unicode makes blank on purpose
     * (Hangul fillers, the blank Braille pattern) are not.
     */
    public static boolean isVisible(int cp) {
        switch (cp) {
            case 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800 -> {
                return false;
            }
            default -> {
                // fall through to the general category
            }
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER,
                    Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.CONNECTOR_PUNCTUATION,
                    Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                    Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }
}
