package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Sha256;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The drawing page as the CloudFront URL serves it: from the Lambda handler itself, behind a function
 * URL that refuses a POST whose {@code x-amz-content-sha256} is not the SHA-256 of its body (as the
 * URL behind the origin access control does; {@link FunctionUrlShim}). Headless Chromium loads the
 * page from the function, a digit is drawn with the mouse, and the test checks what the browser sent
 * and what the page shows.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (as the server's page test); skipped
 * where they are missing. Screenshots land in {@code target/browser/}.
 */
class DrawingPageThroughFunctionUrlTest {
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final Path ARTEFACTS = Path.of("target", "browser");
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(15);
    /** Selenium's warning about missing DevTools bindings, quietened (held: loggers are weak). */
    private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    static Path tmp;
    private static FunctionUrlShim function;
    private static ChromeDriverService service;
    private static ChromeDriver driver;

    @BeforeAll
    static void start() throws IOException {
        for (File required : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!required.canExecute()) {
                System.out.println("DrawingPageThroughFunctionUrlTest skipped: " + required
                        + " is missing; install Debian's chromium and chromium-driver to run it");
            }
            Assumptions.assumeTrue(required.canExecute(), required + " is missing");
        }
        CDP_LOG.setLevel(Level.SEVERE);
        Files.createDirectories(ARTEFACTS);
        function = FunctionUrlShim.start(new Harness().handler);
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).usingAnyFreePort()
                .withLogFile(ARTEFACTS.resolve("chromedriver.log").toFile())
                .withTimeout(Duration.ofSeconds(60)) // a loaded CI machine starts Chromium slowly
                .build();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new",
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")), "--window-size=1000,900");
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
                if (function != null) {
                    function.close();
                }
            }
        }
    }

    @Test
    void aOneDrawnOnTheFunctionsPageIsClassifiedAndEveryPostCarriesTheSha256OfItsExactBody() {
        driver.get(function.uri("/").toString());
        new WebDriverWait(driver, ANSWER_TIMEOUT).until(ExpectedConditions.textToBe(By.id("version"), "v1"));

        drawStroke(0.04, -0.34, -0.04, 0.34); // one vertical stroke
        try {
            new WebDriverWait(driver, ANSWER_TIMEOUT).until(ExpectedConditions.textToBe(By.id("digit"), "1"));
        } finally {
            screenshot("function-url-draw-1");
        }
        assertThat(driver.findElement(By.id("status")).getText()).isEmpty();
        assertThat(driver.findElement(By.id("confidence")).getText()).endsWith("% sure");

        List<FunctionUrlShim.Recorded> requests = function.recorded();
        FunctionUrlShim.Recorded page = requests.get(0);
        assertThat(page.method() + " " + page.path() + " " + page.status()).isEqualTo("GET / 200");
        List<FunctionUrlShim.Recorded> posts = requests.stream().filter(r -> r.method().equals("POST")).toList();
        assertThat(posts).as("POSTs the page sent").isNotEmpty();
        for (FunctionUrlShim.Recorded post : posts) {
            assertThat(post.path()).isEqualTo("/invocations");
            assertThat(post.headers()).containsEntry("content-type", "image/png");
            assertThat(Arrays.copyOf(post.body(), PNG_MAGIC.length)).as("a PNG body").isEqualTo(PNG_MAGIC);
            assertThat(post.headers().get("x-amz-content-sha256")).as("the header the browser computed")
                    .isEqualTo(Sha256.of(post.body()));
            assertThat(post.status()).isEqualTo(200);
        }
    }

    /** The stand-in for the signed URL refuses what the real one would, so the test above can fail. */
    @Test
    void aPostWithoutTheBodysHashOrWithAnotherBodysIsRefusedBeforeTheFunctionRuns() throws Exception {
        byte[] png = Base64.getDecoder().decode(Harness.v2Body("apigw-v2-png.json"));
        HttpClient http = HttpClient.newHttpClient();

        HttpResponse<String> unsigned = http.send(post(png, null), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrong = http.send(post(png, Sha256.of(new byte[] {1})), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> signed = http.send(post(png, Sha256.of(png)), HttpResponse.BodyHandlers.ofString());

        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.body()).contains("x-amz-content-sha256");
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
        assertThat(signed.body()).contains("\"label\":7");
    }

    private static HttpRequest post(byte[] body, String sha256) {
        HttpRequest.Builder b = HttpRequest.newBuilder(function.uri("/invocations"))
                .header("content-type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (sha256 != null) {
            b.header("x-amz-content-sha256", sha256);
        }
        return b.build();
    }

    /**
     * A straight stroke with the mouse button held, in coordinates relative to the pad's centre as
     * fractions of its side; waits until the page's POST has been answered.
     */
    private static void drawStroke(double x0, double y0, double x1, double y1) {
        WebElement pad = driver.findElement(By.id("pad"));
        Dimension size = pad.getSize();
        long posts = function.recorded().stream().filter(r -> r.method().equals("POST")).count();
        Actions actions = new Actions(driver, Duration.ofMillis(10));
        actions.moveToElement(pad, (int) (x0 * size.getWidth()), (int) (y0 * size.getHeight())).clickAndHold();
        for (int i = 1; i <= 8; i++) {
            double t = i / 8.0;
            actions.moveToElement(pad, (int) ((x0 + t * (x1 - x0)) * size.getWidth()),
                    (int) ((y0 + t * (y1 - y0)) * size.getHeight()));
        }
        actions.release().perform();
        new WebDriverWait(driver, ANSWER_TIMEOUT).until(d ->
                function.recorded().stream().filter(r -> r.method().equals("POST")).count() > posts);
    }

    private static void screenshot(String name) {
        try {
            Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, ARTEFACTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(shot);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot save screenshot " + name, e);
        }
    }
}
