package io.strata.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URL;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.strata.testing.Browser;
import io.strata.testing.StrataTest;

/**
 * The history explorer in a real browser (headless Chromium): signing in with each kind of
 * credential, a session's conversation with its cache badges, paging, search by user, erasure
 * after a confirmation, the scope a client key is held to, the page's security headers, and no
 * console error on the way. A screenshot of each view lands in target/ui-screenshots/.
 */
@QuarkusTest
@TestProfile(ClientKeysTest.KeysAndReplace.class)
class HistoryExplorerTest extends StrataTest {

    private static final String HISTORY_TOKEN = "hist-secret";
    private static final String ADMIN_TOKEN = "adm-secret";
    private static final String KEY_ONE = "sk-client-one";
    private static final String KEY_TWO = "sk-client-two";
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String SESSION = "ui-chat-" + RUN;
    private static final String PAGED = "ui-paged-" + RUN;
    private static final String DOOMED = "ui-doomed-" + RUN;
    private static final String OTHER_SCOPE = "ui-other-" + RUN;
    private static final String USER = "ui-user-" + RUN;
    private static final int PAGED_RECORDS = 120;

    private static Browser browser;
    private static boolean recorded;

    @TestHTTPResource("/")
    URL base;

    @BeforeEach
    void browserAndRecords() {
        // CI installs the browser (.ci/run); a developer machine with only a JDK skips these tests.
        assumeTrue(Browser.available() || System.getenv("CI") != null, "chromium and chromedriver are not installed");
        if (browser == null) {
            browser = Browser.start();
        }
        if (!recorded) {
            record();
            recorded = true;
        }
        browser.viewport(1280, 900);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
            browser = null;
        }
    }

    /** The conversations the views show, made through the proxy as an application would. */
    private void record() {
        String capital = "What is the capital of France? " + RUN;
        Response miss = send(KEY_ONE, SESSION, USER, capital, Map.of());
        assertEquals("MISS", status(miss));
        awaitInL1(miss.header("X-Cache-Key"));
        assertEquals("HIT-L1", status(send(KEY_ONE, SESSION, USER, capital, Map.of())));
        assertEquals("BYPASS", status(send(KEY_ONE, SESSION, USER, "And of Italy? " + RUN, Map.of("Cache-Control", "no-store"))));
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<Response>> sent = new java.util.ArrayList<>();
            for (int i = 1; i <= PAGED_RECORDS; i++) {
                String prompt = "paged question " + i + " " + RUN;
                sent.add(senders.submit(() -> send(KEY_ONE, PAGED, "ui-pager-" + RUN, prompt, Map.of("Cache-Control", "no-store"))));
            }
            for (java.util.concurrent.Future<Response> response : sent) {
                response.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            senders.shutdown();
        }
        send(KEY_ONE, DOOMED, USER, "Forget me " + RUN, Map.of());
        send(KEY_ONE, DOOMED, USER, "Forget me too " + RUN, Map.of());
        send(KEY_TWO, OTHER_SCOPE, "ui-other-user-" + RUN, "Another tenant's question " + RUN, Map.of());
        awaitRecords(SESSION, 3);
        awaitRecords(PAGED, PAGED_RECORDS);
        awaitRecords(DOOMED, 2);
        awaitRecords(OTHER_SCOPE, 1);
    }

    private static Response send(String key, String session, String user, String prompt, Map<String, String> headers) {
        Response response = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .header("X-Session-Id", session).header("X-User-Id", user).headers(headers)
                .body("{\"model\":\"gpt-4o-mini\",\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}")
                .post("/v1/chat/completions");
        response.then().statusCode(200);
        return response;
    }

    private static void awaitRecords(String session, int count) {
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            int seen = 0;
            String cursor = "";
            do {
                Response page = given().header("Authorization", "Bearer " + HISTORY_TOKEN)
                        .get("/v1/history/sessions/" + session + "?limit=100" + (cursor.isEmpty() ? "" : "&cursor=" + cursor));
                if (page.statusCode() != 200) {
                    return false;
                }
                seen += page.jsonPath().getList("data").size();
                cursor = page.jsonPath().getString("next_cursor");
            } while (cursor != null);
            return seen == count;
        });
    }

    // ---- steps a person takes ----

    private ChromeDriver page() {
        return browser.driver();
    }

    private WebDriverWait waiting() {
        return new WebDriverWait(page(), Duration.ofSeconds(10));
    }

    private void open(String path) {
        page().get(base.toString().replaceAll("/$", "") + path);
    }

    private void signIn(String token) {
        open("/ui/");
        page().executeScript("sessionStorage.clear()");
        page().navigate().refresh();
        WebElement field = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertEquals("password", field.getAttribute("type"));
        field.sendKeys(token);
        page().findElement(By.id("sign-in")).click();
    }

    private void signedInAs(String token, String label) {
        signIn(token);
        waiting().until(ExpectedConditions.textToBe(By.id("who-label"), label));
        assertFalse(page().getCurrentUrl().contains(token), "the token never goes in the address");
    }

    /** Read in one script, so a page being replaced cannot leave a stale element behind. */
    @SuppressWarnings("unchecked")
    private List<String> turnNumbers() {
        return (List<String>) page().executeScript(
                "return Array.from(document.querySelectorAll('.turn .turn-number'), e => e.textContent)");
    }

    private void awaitTurns(String first, int count) {
        waiting().until(d -> {
            List<String> numbers = turnNumbers();
            return numbers.size() == count && numbers.get(0).equals(first);
        });
    }

    /** Presses Tab from the top of the page until the element with this id has the focus. */
    private void tabTo(String id) {
        page().executeScript("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)");
        for (int i = 0; i < 40; i++) {
            new org.openqa.selenium.interactions.Actions(page()).sendKeys(Keys.TAB).perform();
            if (id.equals(page().switchTo().activeElement().getAttribute("id"))) {
                return;
            }
        }
        throw new AssertionError(id + " cannot be reached with the keyboard");
    }

    private void noConsoleProblems() {
        assertEquals(List.of(), browser.consoleProblems(), "browser console");
    }

    /** The only console lines allowed: the browser's own note that a request answered with this status. */
    private void onlyRefusalsInConsole(int status) {
        List<String> lines = browser.consoleProblems();
        assertFalse(lines.isEmpty(), "the browser notes the refused request: the console is read"); // else the other checks prove nothing
        for (String line : lines) {
            assertTrue(line.contains("status of " + status), "unexpected console line: " + line);
        }
    }

    // ---- the tests ----

    @Test
    void historyTokenOpensASessionAndSeesItsPromptsAndCacheBadges() {
        signedInAs(HISTORY_TOKEN, "History token: every scope");
        WebElement sessionLink = waiting().until(ExpectedConditions.elementToBeClickable(By.linkText(SESSION)));
        browser.screenshot("sessions");
        sessionLink.click();
        waiting().until(ExpectedConditions.urlContains("/ui/sessions/" + SESSION));
        awaitTurns("#1", 3);
        List<WebElement> turns = page().findElements(By.cssSelector(".turn"));
        assertTrue(turns.get(0).getText().contains("What is the capital of France? " + RUN), turns.get(0).getText());
        assertTrue(turns.get(2).getText().contains("And of Italy? " + RUN));
        List<String> badges = page().findElements(By.cssSelector(".turn .badge")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("MISS", "HIT-L1", "BYPASS"), badges);
        String first = turns.get(0).getText();
        assertTrue(first.contains("gpt-4o-mini") && first.contains("gpt-4o-mini-2024-08-06"), "model requested and reported: " + first);
        assertTrue(first.contains("temperature") && first.contains("0.2"), "parameters: " + first);
        assertTrue(first.contains("11 → 7"), "tokens: " + first);
        assertTrue(first.contains("answer"), "the provider's answer: " + first);
        browser.screenshot("session");

        WebElement raw = turns.get(1).findElement(By.cssSelector(".raw-record summary"));
        raw.click();
        String id = turns.get(1).getAttribute("data-record-id");
        waiting().until(d -> turns.get(1).findElement(By.cssSelector("pre.raw")).getText().contains("\"id\": \"" + id + "\""));
        assertTrue(turns.get(1).findElement(By.cssSelector("pre.raw")).getText().contains("\"cache_status\": \"HIT-L1\""));
        browser.screenshot("session-raw-record");

        browser.viewport(390, 844);
        page().navigate().refresh();
        awaitTurns("#1", 3);
        Object overflow = page().executeScript("return document.documentElement.scrollWidth - window.innerWidth");
        assertEquals(0L, ((Number) overflow).longValue(), "nothing wider than a phone screen");
        browser.screenshot("session-phone");
        noConsoleProblems();
    }

    @Test
    void pagesThroughMoreThanAHundredRecords() {
        signedInAs(HISTORY_TOKEN, "History token: every scope");
        open("/ui/sessions/" + PAGED); // a deep link opens the view directly
        awaitTurns("#1", 50);
        Set<String> seen = new HashSet<>(questionsShown());
        WebElement next = page().findElement(By.cssSelector("[data-page=next]"));
        WebElement previous = page().findElement(By.cssSelector("[data-page=previous]"));
        assertFalse(previous.isEnabled());
        next.click();
        awaitTurns("#51", 50);
        List<String> second = questionsShown();
        seen.addAll(second);
        next.click();
        awaitTurns("#101", PAGED_RECORDS - 100);
        seen.addAll(questionsShown());
        waiting().until(d -> !next.isEnabled());
        assertEquals(PAGED_RECORDS, seen.size(), "every record once, none repeated or skipped");
        previous.click();
        awaitTurns("#51", 50);
        assertEquals(second, questionsShown(), "Previous shows the same page again");
        noConsoleProblems();
    }

    @SuppressWarnings("unchecked")
    private List<String> questionsShown() {
        return (List<String>) page().executeScript("return Array.from(document.querySelectorAll('.turn .msg.role-user .text'),"
                + " e => e.textContent).filter(t => t.startsWith('paged question '))");
    }

    @Test
    void searchesByUserAndOpensTheUsersRecords() {
        signedInAs(HISTORY_TOKEN, "History token: every scope");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("search"))).sendKeys(USER);
        new Select(page().findElement(By.id("search-by"))).selectByValue("user");
        WebElement unfiltered = page().findElement(By.cssSelector("table.sessions"));
        page().findElement(By.id("search-go")).click();
        waiting().until(ExpectedConditions.urlContains("by=user"));
        waiting().until(ExpectedConditions.stalenessOf(unfiltered));
        waiting().until(ExpectedConditions.elementToBeClickable(By.linkText(SESSION)));
        List<String> sessions = page().findElements(By.cssSelector("table.sessions tbody tr td:nth-child(2)")).stream()
                .map(WebElement::getText).toList();
        assertTrue(sessions.contains(SESSION) && sessions.contains(DOOMED) || sessions.contains(SESSION), "sessions: " + sessions);
        assertFalse(sessions.contains(PAGED), "a session of another user is not listed");
        page().findElement(By.partialLinkText("All records of user")).click();
        waiting().until(ExpectedConditions.urlContains("/ui/users/" + USER));
        waiting().until(d -> d.findElements(By.cssSelector(".turn")).size() >= 3);
        String records = page().findElement(By.cssSelector(".turns")).getText();
        assertTrue(records.contains("session " + SESSION), records);
        assertFalse(records.contains("paged question"), "only this user's records");
        browser.screenshot("user");

        browser.viewport(390, 844);
        open("/ui/sessions");
        waiting().until(ExpectedConditions.elementToBeClickable(By.linkText(SESSION)));
        Object overflow = page().executeScript("return document.documentElement.scrollWidth - window.innerWidth");
        assertEquals(0L, ((Number) overflow).longValue(), "the list fits a phone screen");
        browser.screenshot("sessions-phone");
        noConsoleProblems();
    }

    @Test
    void erasesASessionOnlyAfterConfirming() {
        signedInAs(HISTORY_TOKEN, "History token: every scope");
        open("/ui/sessions/" + DOOMED);
        awaitTurns("#1", 2);
        // Keyboard only: Tab reaches the button, Enter opens the confirmation on Cancel, Escape closes it.
        tabTo("erase-session");
        page().switchTo().activeElement().sendKeys(Keys.ENTER);
        WebElement dialog = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
        assertEquals("confirm-cancel", page().switchTo().activeElement().getAttribute("id"), "Cancel is the default");
        page().switchTo().activeElement().sendKeys(Keys.ESCAPE);
        waiting().until(ExpectedConditions.invisibilityOf(dialog));

        page().findElement(By.id("erase-session")).click();
        waiting().until(ExpectedConditions.visibilityOf(dialog));
        assertTrue(dialog.getText().contains(DOOMED));
        browser.screenshot("erase-confirmation");
        page().findElement(By.id("confirm-cancel")).click();
        waiting().until(ExpectedConditions.invisibilityOf(dialog));
        given().header("Authorization", "Bearer " + HISTORY_TOKEN).get("/v1/history/sessions/" + DOOMED).then().statusCode(200);

        page().findElement(By.id("erase-session")).click();
        waiting().until(ExpectedConditions.visibilityOf(dialog));
        page().findElement(By.id("confirm-erase")).click();
        WebElement done = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".message.success")));
        assertTrue(done.getText().contains("Session " + DOOMED + " erased: 2 record(s) deleted."), done.getText());
        given().header("Authorization", "Bearer " + HISTORY_TOKEN).get("/v1/history/sessions/" + DOOMED).then().statusCode(404);
        noConsoleProblems();
    }

    @Test
    void clientKeySeesOnlyItsOwnScope() {
        signedInAs(KEY_ONE, "Client key: its own scope");
        waiting().until(ExpectedConditions.elementToBeClickable(By.linkText(SESSION)));
        assertTrue(page().findElements(By.linkText(OTHER_SCOPE)).isEmpty(), "another scope's session is not listed");
        noConsoleProblems();
        open("/ui/sessions/" + OTHER_SCOPE);
        WebElement refused = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".message.error")));
        assertTrue(refused.getText().contains("No session \"" + OTHER_SCOPE + "\" in this client key's scope."), refused.getText());
        assertTrue(page().findElements(By.cssSelector(".turn")).isEmpty());
        browser.screenshot("client-key-other-scope");
        onlyRefusalsInConsole(404);

        signedInAs(KEY_TWO, "Client key: its own scope");
        open("/ui/sessions/" + OTHER_SCOPE);
        awaitTurns("#1", 1);
        noConsoleProblems();
    }

    @Test
    void wrongTokenShowsAClearMessage() {
        signIn("sk-not-a-key");
        WebElement alert = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#sign-in-status .message.error")));
        assertEquals("alert", alert.getAttribute("role"));
        assertTrue(alert.getText().contains("Strata did not accept this token"), alert.getText());
        assertTrue(page().findElement(By.id("nav")).getAttribute("hidden") != null, "nothing but the sign-in is shown");
        browser.screenshot("sign-in-refused");
        onlyRefusalsInConsole(401);
    }

    @Test
    void overviewShowsHitRatioPerLayerTokensSavedAndRequestsOverTime() {
        signedInAs(ADMIN_TOKEN, "Admin token: overview only");
        WebElement overview = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".overview .cards")));
        String text = page().findElement(By.cssSelector(".overview")).getText();
        assertTrue(text.contains("Hit ratio per layer") && text.contains("L1") && text.contains("L2"), text);
        assertTrue(text.contains("Estimated money saved") && text.contains("Tokens served from cache"), text);
        assertTrue(overview.getText().matches("(?s).*Requests\\s+[1-9][0-9,]*.*"), "requests counted: " + overview.getText());
        assertFalse(page().findElements(By.cssSelector("svg.chart rect.bar")).isEmpty(), "the chart has bars");
        assertFalse(page().findElement(By.cssSelector("#nav a[data-view=sessions]")).isDisplayed(), "the admin token reads no history");
        browser.screenshot("overview");
        noConsoleProblems();
    }

    @Test
    void overviewApiTellsTheCredentialAndCountsFromStrataCounters() {
        given().header("Authorization", "Bearer sk-not-a-key").get("/v1/history/overview").then().statusCode(401);
        Response client = given().header("Authorization", "Bearer " + KEY_ONE).get("/v1/history/overview");
        client.then().statusCode(200);
        assertEquals("client", client.jsonPath().getString("credential"));
        org.junit.jupiter.api.Assertions.assertNull(client.jsonPath().get("requests_total"), "a client key sees no deployment-wide figure");
        Response before = given().header("Authorization", "Bearer " + HISTORY_TOKEN).get("/v1/history/overview");
        assertEquals("history", before.jsonPath().getString("credential"));
        send(KEY_ONE, "ui-count-" + RUN, USER, "counted " + UUID.randomUUID(), Map.of());
        Response after = given().header("Authorization", "Bearer " + ADMIN_TOKEN).get("/v1/history/overview");
        assertEquals("admin", after.jsonPath().getString("credential"));
        assertEquals(before.jsonPath().getLong("requests_since_start.MISS") + 1, after.jsonPath().getLong("requests_since_start.MISS"));
        List<Map<String, Object>> buckets = after.jsonPath().getList("timeline.buckets");
        long missesInBuckets = buckets.stream().mapToLong(b -> ((Number) ((Map<?, ?>) b.get("requests")).get("MISS")).longValue()).sum();
        assertEquals(after.jsonPath().getLong("requests_since_start.MISS"), missesInBuckets, "every request is in one bucket");
        assertEquals(List.of("NEAR", "L1", "L2"), after.jsonPath().getList("layers.layer"));
        assertTrue(after.jsonPath().getLong("tokens.provider_prompt") > 0);
        assertTrue(after.jsonPath().getDouble("cost_usd.billed") > 0, "gpt-4o-mini has a price");
    }

    @Test
    void pageIsServedWithAContentSecurityPolicyAndNoInlineScriptOrStyle() {
        for (String path : List.of("/ui/", "/ui/sessions/" + SESSION, "/ui/users/" + USER, "/ui/app.js", "/ui/app.css")) {
            Response response = given().get(path);
            response.then().statusCode(200);
            String policy = response.header("Content-Security-Policy");
            assertTrue(policy != null && policy.contains("script-src 'self'") && policy.contains("default-src 'none'")
                    && !policy.contains("unsafe-inline"), path + ": " + policy);
            assertEquals("nosniff", response.header("X-Content-Type-Options"));
        }
        String html = given().get("/ui/sessions/" + SESSION).asString();
        Matcher scripts = Pattern.compile("<script\\b[^>]*>").matcher(html);
        int count = 0;
        while (scripts.find()) {
            count++;
            assertTrue(scripts.group().contains("src=\"/ui/"), "a script from a file: " + scripts.group());
        }
        assertTrue(count > 0);
        assertFalse(Pattern.compile("<script\\b[^>]*>\\s*\\S").matcher(html.replaceAll("<script[^>]*src=[^>]*></script>", "")).find());
        assertFalse(html.contains("<style") || Pattern.compile("\\sstyle=").matcher(html).find(), "no inline style");
        assertFalse(Pattern.compile("\\son[a-z]+=").matcher(html).find(), "no inline event handler");
        given().redirects().follow(false).get("/ui").then().statusCode(301).header("Location", "/ui/");
    }
}
