package io.strata.semantic;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a similarity score cannot be trusted with. Sentence embeddings place "enable" near
 * "disable", "30 days" near "60 days" and "Android" near "iOS" (bench/semantic measures it), so
 * two texts are only allowed to match when, besides being close, they agree on:
 * <ul>
 * <li>numbers: the same digits, in the same order;</li>
 * <li>negation: both negated or neither (not, no, never, without, n't, …);</li>
 * <li>named things: every capitalised word past the start of a sentence, every word with a capital
 * inside (iPhone, macOS) and every known platform, product or account-object word of one text
 * appears in the other;</li>
 * <li>direction: neither holds one side of an opposite pair (enable/disable, add/remove, on/off, …)
 * while the other holds the other side.</li>
 * </ul>
 * The guard only refuses: it never makes two texts match.
 */
public final class MeaningGuard {

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['’\\-][\\p{L}\\p{N}]+)*");
    private static final Pattern NUMBER = Pattern.compile("\\d+(?:[.,]\\d+)*");

    private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "without", "cannot", "none", "nothing", "nobody",
            "neither", "nor", "unable", "nowhere", "fails", "failed", "fail", "failing", "stopped", "won't", "can't", "don't",
            "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "haven't", "hasn't", "hadn't", "shouldn't", "wouldn't",
            "couldn't", "mustn't", "needn't");

    /**
     * Words that name a thing the answer depends on, even in lower case: platforms, apps, payment
     * services, and the objects of an account (a password is not a username).
     */
    private static final Set<String> NAMED = Set.of(
            "android", "ios", "iphone", "ipad", "ipados", "mac", "macos", "macbook", "windows", "linux", "ubuntu", "chromebook",
            "chrome", "firefox", "safari", "edge", "opera", "brave", "web", "browser", "desktop", "mobile", "tablet", "watch", "tv",
            "paypal", "klarna", "visa", "mastercard", "amex", "stripe", "venmo", "bitcoin", "crypto", "apple", "google", "samsung",
            "microsoft", "outlook", "gmail", "slack", "teams", "zoom", "excel", "sheets", "dropbox", "github",
            "password", "username", "email", "phone", "address", "pin", "name", "avatar", "photo",
            "invoice", "invoices", "receipt", "receipts", "order", "orders", "subscription", "membership", "plan",
            "card", "payment", "billing", "shipping", "delivery", "refund", "warranty", "booking", "reservation", "ticket",
            "teammate", "colleague", "guest", "admin", "owner", "member", "user", "users", "seat", "seats",
            "basic", "free", "premium", "pro", "team", "business", "enterprise", "starter", "family", "student", "trial",
            "monthly", "yearly", "annual", "weekly", "daily", "euro", "euros", "dollar", "dollars", "pound", "pounds");

    /** Pairs of opposite actions or states: each side as word prefixes (enable matches enabled, enabling). */
    private static final String[][] OPPOSITES = {
            {"enabl", "disabl"}, {"activat", "deactivat"}, {"add", "remov"}, {"add", "delet"}, {"creat", "delet"},
            {"upgrad", "downgrad"}, {"increas", "decreas"}, {"rais", "lower"}, {"subscrib", "unsubscrib"},
            {"lock", "unlock"}, {"block", "unblock"}, {"open", "clos"}, {"start", "stop"}, {"start", "end"},
            {"import", "export"}, {"upload", "download"}, {"buy", "sell"}, {"send", "receiv"}, {"show", "hid"},
            {"connect", "disconnect"}, {"install", "uninstall"}, {"allow", "deny"}, {"allow", "block"},
            {"accept", "reject"}, {"accept", "declin"}, {"approv", "reject"}, {"cancel", "renew"}, {"cancel", "book"},
            {"pause", "resum"}, {"archiv", "unarchiv"}, {"join", "leav"}, {"includ", "exclud"}, {"encrypt", "decrypt"},
            {"mute", "unmute"}, {"follow", "unfollow"}, {"pin", "unpin"}, {"hide", "unhid"}, {"link", "unlink"},
            {"publish", "unpublish"}, {"public", "privat"}, {"min", "max"}, {"first", "last"}, {"befor", "after"},
            {"more", "less"}, {"more", "fewer"}, {"higher", "lower"}, {"cheaper", "expensiv"}, {"old", "new"},
            {"on", "off"}, {"in", "out"}, {"up", "down"}, {"login", "logout"}, {"merg", "split"},
            {"refund", "charg"}, {"credit", "debit"}, {"deposit", "withdraw"}, {"arriv", "leav"}, {"incom", "outgo"},
            {"save", "discard"}, {"keep", "discard"}, {"keep", "delet"}, {"restor", "delet"}, {"undo", "redo"}};

    /** What of a text the guard compares, computed once per text. */
    public record Features(List<String> numbers, boolean negated, Set<String> named, Set<String> words) {
    }

    public static Features features(String text) {
        List<String> numbers = new ArrayList<>();
        Matcher digits = NUMBER.matcher(text);
        while (digits.find()) {
            numbers.add(digits.group().replace(",", "").replace(".", ""));
        }
        Set<String> words = new HashSet<>();
        Set<String> named = new HashSet<>();
        boolean negated = false;
        boolean sentenceStart = true;
        Matcher word = WORD.matcher(text);
        int end = 0;
        while (word.find()) {
            String between = text.substring(end, word.start());
            if (between.indexOf('.') >= 0 || between.indexOf('?') >= 0 || between.indexOf('!') >= 0 || between.indexOf('\n') >= 0
                    || between.indexOf(':') >= 0) {
                sentenceStart = true;
            }
            end = word.end();
            String raw = word.group().replace('’', '\'');
            String lower = raw.toLowerCase(Locale.ROOT).replace("e-mail", "email");
            words.add(lower);
            if (NEGATIONS.contains(lower) || lower.endsWith("n't")) {
                negated = true;
            }
            boolean capitalInside = !raw.substring(1).equals(raw.substring(1).toLowerCase(Locale.ROOT));
            boolean capitalised = Character.isUpperCase(raw.codePointAt(0));
            if (NAMED.contains(lower) || capitalInside || (capitalised && !sentenceStart && !lower.equals("i"))) {
                named.add(lower);
            }
            sentenceStart = false;
        }
        return new Features(numbers, negated, named, words);
    }

    /** Whether nothing tells the two texts apart in a way their similarity could hide. */
    public static boolean agree(Features a, Features b) {
        return a.numbers().equals(b.numbers()) && a.negated() == b.negated() && allIn(a.named(), b.words())
                && allIn(b.named(), a.words()) && !opposed(a.words(), b.words());
    }

    /** The first check the two texts fail, for metrics and the benchmark; null when they agree. */
    public static String disagreement(Features a, Features b) {
        if (!a.numbers().equals(b.numbers())) {
            return "number";
        }
        if (a.negated() != b.negated()) {
            return "negation";
        }
        if (!allIn(a.named(), b.words()) || !allIn(b.named(), a.words())) {
            return "named";
        }
        if (opposed(a.words(), b.words())) {
            return "opposite";
        }
        return null;
    }

    /** Every name is in the words, in the singular or the plural (order, orders). */
    private static boolean allIn(Set<String> named, Set<String> words) {
        for (String name : named) {
            boolean found = words.contains(name) || words.contains(name + "s")
                    || (name.length() > 3 && name.endsWith("s") && words.contains(name.substring(0, name.length() - 1)));
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private static boolean opposed(Set<String> a, Set<String> b) {
        for (String[] pair : OPPOSITES) {
            boolean a0 = has(a, pair[0]), a1 = has(a, pair[1]), b0 = has(b, pair[0]), b1 = has(b, pair[1]);
            if ((a0 && !a1 && b1 && !b0) || (a1 && !a0 && b0 && !b1)) {
                return true;
            }
        }
        return false;
    }

    /** Stems of up to three letters match whole words (and their -s, -ed, -ing forms) only, so "on" is not found in "one". */
    private static boolean has(Set<String> words, String stem) {
        if (stem.length() <= 3) {
            String doubled = stem + stem.charAt(stem.length() - 1);
            for (String word : words) {
                if (word.equals(stem) || word.equals(stem + "s") || word.equals(stem + "ed") || word.equals(stem + "ing")
                        || word.equals(doubled + "ed") || word.equals(doubled + "ing")) {
                    return true;
                }
            }
            return false;
        }
        for (String word : words) {
            if (word.startsWith(stem)) {
                return true;
            }
        }
        return false;
    }
}
