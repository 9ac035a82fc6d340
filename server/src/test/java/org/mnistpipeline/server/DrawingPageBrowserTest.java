package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The drawing page end to end: a real server with the fixture model, headless Chromium, digits
 * drawn stroke by stroke with the mouse, as a person would. Covers what the HTTP tests cannot: the
 * pointer handling, the canvas-to-PNG upload and the rendering of the answer.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver}; skipped where they are missing.
 * The local chromedriver is named explicitly, so Selenium Manager never runs and nothing is
 * downloaded. Screenshots of each result land in {@code target/browser/}.
 */
class DrawingPageBrowserTest {
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final Path ARTEFACTS = Path.of("target", "browser");
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    /** Points per straight segment: the page joins consecutive pointer positions with lines. */
    private static final int STEPS = 8;
    /**
     * Selenium warns on every session that it has no DevTools (CDP) bindings for this Chromium;
     * the test never uses CDP, so selenium-devtools is left off the classpath and the warning
     * quietened. Held in a field because java.util.logging keeps loggers only weakly.
     */
    private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    @TempDir
    static Path tmp;
    private static ModelServer server;
    private static ChromeDriverService service;
    private static ChromeDriver driver;

    @BeforeAll
    static void start() throws IOException {
        for (File required : List.of(CHROMIUM, CHROMEDRIVER)) {
            boolean present = required.canExecute();
            if (!present) {
                System.out.println("DrawingPageBrowserTest skipped: " + required
                        + " is missing; install Debian's chromium and chromium-driver to run it");
            }
            Assumptions.assumeTrue(present, required + " is missing");
        }
        CDP_LOG.setLevel(Level.SEVERE);
        Files.createDirectories(ARTEFACTS);
        server = Fixtures.startReady(Fixtures.config(Fixtures.modelDir(tmp.resolve("model"))));
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort()
                .withLogFile(ARTEFACTS.resolve("chromedriver.log").toFile())
                .withTimeout(Duration.ofSeconds(60)) // a loaded CI machine starts Chromium slowly
                .build();
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM)
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")),
                        "--window-size=1000,900");
        try {
            driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(10));
        } catch (RuntimeException | Error e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        // Each in its own finally: a browser that fails to quit must not leave the server running.
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            try {
                if (service != null) {
                    service.stop();
                }
            } finally {
                if (server != null) {
                    server.close();
                }
            }
        }
    }

    @BeforeEach
    void openPage() {
        driver.get(server.uri().resolve("/").toString());
        // The page asks /ping for the version on load; wait for it so every test starts settled.
        wait(ANSWER_TIMEOUT).until(ExpectedConditions.textToBe(By.id("version"), Fixtures.VERSION));
    }

    @Test
    void aOneDrawnAsOneVerticalStrokeIsRecognised() {
        drawAndCheck(1, List.of(
                stroke(0.04, -0.34, -0.04, 0.34)));
    }

    @Test
    void aSevenDrawnAsATopBarThenADiagonalIsRecognised() {
        drawAndCheck(7, List.of(
                stroke(-0.24, -0.30, 0.22, -0.30),
                stroke(0.22, -0.30, -0.06, 0.34)));
    }

    @Test
    void clearWipesThePadTheDigitAndTheBars() {
        draw(List.of(stroke(0.04, -0.34, -0.04, 0.34)));
        wait(ANSWER_TIMEOUT).until(d -> !text("digit").isEmpty());
        assertThat(padHasInk()).isTrue();

        driver.findElement(By.id("clear")).click();

        assertThat(padHasInk()).as("ink left on the pad after Clear").isFalse();
        assertThat(text("digit")).isEmpty();
        assertThat(text("confidence")).isEmpty();
        List<WebElement> bars = driver.findElements(By.cssSelector("#probabilities li"));
        assertThat(bars).hasSize(10);
        assertThat(driver.findElements(By.cssSelector("#probabilities li.best"))).isEmpty();
        for (WebElement bar : bars) {
            assertThat(bar.getAttribute("data-probability")).isEqualTo("0");
            assertThat(bar.findElement(By.className("pct")).getText()).isEmpty();
        }
        assertThat(text("version")).as("the model version survives Clear").isEqualTo(Fixtures.VERSION);
    }

    /**
     * Draws {@code strokes}, waits for the page to show {@code expected}, checks the bars and the
     * version, and keeps a screenshot. Each stroke's classification is awaited before the next
     * stroke starts, as a person pauses between strokes; the page would otherwise fold requests
     * together and the last answer could not be told from an earlier one.
     */
    private void drawAndCheck(int expected, List<List<double[]>> strokes) {
        draw(strokes);
        try {
            wait(ANSWER_TIMEOUT).until(ExpectedConditions.textToBe(By.id("digit"), String.valueOf(expected)));
        } finally {
            screenshot("draw-" + expected);
        }

        assertThat(text("status")).isEmpty();
        assertThat(text("confidence")).endsWith("% sure");
        List<WebElement> bars = driver.findElements(By.cssSelector("#probabilities li"));
        assertThat(bars).hasSize(10);
        double sum = 0;
        for (int d = 0; d < bars.size(); d++) {
            WebElement bar = bars.get(d);
            assertThat(bar.getAttribute("data-digit")).isEqualTo(String.valueOf(d));
            assertThat(bar.findElement(By.className("pct")).getText()).matches("\\d{1,3}\\.\\d%");
            sum += Double.parseDouble(bar.getAttribute("data-probability"));
        }
        assertThat(sum).as("probabilities sum").isCloseTo(1.0, Offset.offset(1e-3));
        List<WebElement> best = driver.findElements(By.cssSelector("#probabilities li.best"));
        assertThat(best).hasSize(1);
        assertThat(best.get(0).getAttribute("data-digit")).isEqualTo(String.valueOf(expected));
        assertThat(text("version")).isEqualTo(Fixtures.VERSION);
        assertThat(server.modelVersion()).hasValue(Fixtures.VERSION);
    }

    /**
     * Draws each stroke as pointer moves with the button held, in coordinates relative to the pad's
     * centre as fractions of its side, so the drawing scales with however large the page lays the
     * pad out. Waits for each stroke's classification to come back before the next one.
     */
    private void draw(List<List<double[]>> strokes) {
        WebElement pad = driver.findElement(By.id("pad"));
        Dimension size = pad.getSize();
        for (List<double[]> points : strokes) {
            long answered = invocationsAnswered();
            // A short move duration: the default 250 ms per move would take seconds per stroke.
            Actions actions = new Actions(driver, Duration.ofMillis(10));
            double[] first = points.get(0);
            actions.moveToElement(pad, x(first, size), y(first, size)).clickAndHold();
            for (double[] p : points.subList(1, points.size())) {
                actions.moveToElement(pad, x(p, size), y(p, size));
            }
            actions.release().perform();
            wait(ANSWER_TIMEOUT).until(d -> invocationsAnswered() > answered);
        }
    }

    /** A straight stroke from (x0, y0) to (x1, y1), split into {@link #STEPS} moves. */
    private static List<double[]> stroke(double x0, double y0, double x1, double y1) {
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i <= STEPS; i++) {
            double t = i / (double) STEPS;
            points.add(new double[] {x0 + t * (x1 - x0), y0 + t * (y1 - y0)});
        }
        return points;
    }

    private static int x(double[] point, Dimension size) {
        return (int) Math.round(point[0] * size.getWidth());
    }

    private static int y(double[] point, Dimension size) {
        return (int) Math.round(point[1] * size.getHeight());
    }

    /**
     * Completed POSTs to /invocations, from the browser's own resource timing: an entry appears
     * once a response has arrived, which the page's JavaScript cannot hide from us.
     */
    private static long invocationsAnswered() {
        Object count = js().executeScript("return performance.getEntriesByType('resource')"
                + ".filter(e => e.name.endsWith('/invocations')).length;");
        return ((Number) count).longValue();
    }

    private static boolean padHasInk() {
        Object inked = js().executeScript("const pad = document.getElementById('pad');"
                + "const data = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;"
                + "for (let i = 0; i < data.length; i += 4) { if (data[i] > 0) return true; }"
                + "return false;");
        return Boolean.TRUE.equals(inked);
    }

    private static String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    private static WebDriverWait wait(Duration timeout) {
        return new WebDriverWait(driver, timeout);
    }

    private static JavascriptExecutor js() {
        return driver;
    }

    private static void screenshot(String name) {
        try {
            Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, ARTEFACTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(shot);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save screenshot " + name, e);
        }
    }
}
