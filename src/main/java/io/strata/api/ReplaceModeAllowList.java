package io.strata.api;

import java.util.List;
import java.util.Locale;

/**
 * The pass-through paths replace mode lends the provider key to, parsed once at start: "METHOD /path"
 * entries, or "/path" for any method; a trailing "/*" matches everything below the path.
 */
record ReplaceModeAllowList(List<Entry> entries) {

    record Entry(String method, String path, boolean below) {

        boolean matches(String requestMethod, String requestPath) {
            if (method != null && !method.equals(requestMethod)) {
                return false;
            }
            return below ? requestPath.startsWith(path) && requestPath.length() > path.length() : requestPath.equals(path);
        }
    }

    static ReplaceModeAllowList parse(List<String> configured) {
        return new ReplaceModeAllowList(configured.stream().map(String::strip).filter(entry -> !entry.isEmpty())
                .map(ReplaceModeAllowList::entry).toList());
    }

    private static Entry entry(String configured) {
        int space = configured.indexOf(' ');
        String method = space < 0 ? null : configured.substring(0, space).toUpperCase(Locale.ROOT);
        String pattern = space < 0 ? configured : configured.substring(space + 1).strip();
        boolean below = pattern.endsWith("/*");
        return new Entry(method, below ? pattern.substring(0, pattern.length() - 1) : pattern, below);
    }

    boolean allows(String method, String path) {
        for (Entry entry : entries) {
            if (entry.matches(method, path)) {
                return true;
            }
        }
        return false;
    }
}
