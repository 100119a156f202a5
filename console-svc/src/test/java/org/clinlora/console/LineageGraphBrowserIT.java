package org.clinlora.console;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.specification.RequestSpecification;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestBucket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The registry page's lineage graph with 500 published adapters, in a real headless Chromium: registry-svc and
 * console-svc from their jars over the local Kafka and S3Proxy, in a bucket of their own ({@link TestBucket}). Five
 * Clinical LoRAs on two base models and 495 Downstream LoRAs on them (some stacked on another downstream), published
 * from tiny PEFT files; then every label the browser drew is measured and no two may overlap, the page's search narrows
 * the graph, a group folds away and a drawing pans and zooms. A failed check leaves a screenshot in
 * target/console-screenshots/.
 */
class LineageGraphBrowserIT {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String BASE = "tiny-" + RUN, OTHER_BASE = "tiny2-" + RUN;
    static final int CLINICAL = 5, DOWNSTREAM = 495;
    static final Path SHOTS = Path.of("target", "console-screenshots").toAbsolutePath();

    static final List<Process> processes = new ArrayList<>();
    static String bucket, console;
    static WebDriver browser;

    @BeforeAll
    static void fiveHundredAdaptersAndABrowser() throws Exception {
        LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        TestAuth.installRestAssuredDefault();
        bucket = TestBucket.open();
        Files.createDirectories(SHOTS);
        Map<String, String> urls = LocalServices.launchAll(
                List.of("registry", "console"),
                Map.of("CLINLORA_S3_BUCKET", bucket),
                svc -> Path.of("target", svc + "-svc-lineage-it.log").toAbsolutePath(),
                processes);
        console = urls.get("console");
        publish(urls.get("registry"));
        browser = chromium();
        browser.get(console + "/login");
        browser.findElement(By.id("token")).sendKeys(TestAuth.token(Roles.ALL.toArray(String[]::new)));
        browser.findElement(By.id("sign-in")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().endsWith("/registry"));
    }

    /** clinical-0…4 (the last on another base); downstream-i on clinical-(i % 5), the last 15 on downstream-0…14. */
    static void publish(String registry) throws Exception {
        Path dir = Files.createTempDirectory("lineage-it");
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings(bucket));
        TinyLlama.Spec spec = new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 3);
        LlamaConfig config = TinyLlama.write(dir.resolve("base"), spec);
        new ModelStore(store).upload(BASE, dir.resolve("base"));
        new ModelStore(store).upload(OTHER_BASE, dir.resolve("base"));
        Path clinical = TestAdapters.write(dir.resolve("c"), PaperDefaults.clinicalLora(), config, 0, 1);
        Path downstream = TestAdapters.write(dir.resolve("d"), PaperDefaults.downstreamLora(), config, 4, 2);
        for (int c = 0; c < CLINICAL; c++)
            post(registry, clinicalName(c), clinical, card(c < CLINICAL - 1 ? BASE : OTHER_BASE, null, "clinical"));
        // Downstream LoRAs in parallel, as several trainers would publish them; the stacked ones after their parents.
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < DOWNSTREAM; i++) {
                int n = i;
                String parent = i < 480 ? clinicalName(i % CLINICAL) + "@1" : downstreamName(i - 480) + "@1";
                String base = baseOf(i);
                if (i == 480) for (Future<?> f : done) f.get(2, TimeUnit.MINUTES);
                done.add(pool.submit(() -> post(registry, downstreamName(n), downstream, card(base, parent, "los"))));
            }
            for (Future<?> f : done) f.get(2, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A downstream LoRA's base model: its Clinical LoRA's. */
    static String baseOf(int downstream) {
        int i = downstream < 480 ? downstream : downstream - 480;
        return i % CLINICAL == CLINICAL - 1 ? OTHER_BASE : BASE;
    }

    static String clinicalName(int c) {
        return "clinical-" + c + "-" + RUN;
    }

    static String downstreamName(int i) {
        return String.format("los-%03d-%s", i, RUN);
    }

    static String card(String base, String parent, String task) {
        return "{\"task\":\"" + task + "\",\"baseModelId\":\"" + base + "\""
                + (parent == null ? "" : ",\"parent\":\"" + parent + "\",\"labelNames\":[\"a\",\"b\",\"c\",\"d\"]")
                + "}";
    }

    static void post(String registry, String name, Path dir, String card) {
        RequestSpecification r = given();
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) r = r.multiPart(f.getFileName().toString(), f.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        r.multiPart("card", card, "application/json")
                .post(registry + "/v1/adapters/" + name + "/versions")
                .then()
                .statusCode(201);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (bucket != null) TestBucket.close(bucket);
    }

    @AfterEach
    void noBrowserErrors() {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) errors.add(e.getMessage());
        }
        assertEquals(List.of(), errors, "errors in the browser console");
    }

    @Test
    void fiveHundredAdaptersAreDrawnGroupedWithNoTwoLabelsOverlapping() {
        open("/registry");
        checked("lineage-500", () -> {
            assertEquals("500", lineage().getAttribute("data-versions"));
            assertEquals(
                    2,
                    browser.findElements(By.cssSelector("#lineage details.lineage-base"))
                            .size());
            assertEquals(
                    CLINICAL,
                    browser.findElements(By.cssSelector("#lineage details.lineage-group"))
                            .size());
            Set<String> nodes = new HashSet<>();
            browser.findElements(By.cssSelector("#lineage [data-node]"))
                    .forEach(n -> nodes.add(n.getAttribute("data-node")));
            assertEquals(500 + 2, nodes.size(), "every version and both base models");
            assertTrue(nodes.contains(downstreamName(480) + "@1"), "a LoRA stacked on a downstream LoRA");
            List<double[]> labels = labelBoxes();
            assertEquals(500 + CLINICAL, labels.size(), "a label a version, and the base model atop each group");
            for (double[] b : labels) {
                assertTrue(b[3] - b[1] >= 10, "a label is drawn at a readable size: " + (b[3] - b[1]) + "px");
                assertTrue(
                        b[0] >= b[4] && b[1] >= b[5] && b[2] <= b[6] && b[3] <= b[7],
                        "a label is inside its drawing, not cut off");
            }
            for (int i = 0; i < labels.size(); i++)
                for (int j = i + 1; j < labels.size(); j++) {
                    double[] a = labels.get(i), b = labels.get(j);
                    assertFalse(
                            a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3],
                            "labels " + i + " and " + j + " overlap");
                }
        });
    }

    @Test
    void thePageSearchNarrowsTheGraphToWhatItSelectsWithItsAncestors() {
        String parent = clinicalName(1) + "@1";
        open("/registry?parent=" + parent);
        checked("lineage-search", () -> {
            int children = 480 / CLINICAL;
            assertEquals(String.valueOf(children), lineage().getAttribute("data-selected"));
            assertEquals(String.valueOf(children + 1), lineage().getAttribute("data-versions"));
            List<WebElement> groups = browser.findElements(By.cssSelector("#lineage details.lineage-group"));
            assertEquals(1, groups.size());
            assertEquals(parent, groups.get(0).getAttribute("data-root"));
            assertEquals(
                    1,
                    browser.findElements(By.cssSelector("#lineage [data-node='" + parent + "'].context"))
                            .size(),
                    "the Clinical LoRA is shown as the versions' ancestor, not as a match");
        });
    }

    @Test
    void aGroupFoldsAwayAndADrawingPansAndZooms() {
        open("/registry");
        checked("lineage-interaction", () -> {
            WebElement group = browser.findElement(By.cssSelector("#lineage details.lineage-group"));
            WebElement svg = group.findElement(By.cssSelector("svg"));
            group.findElement(By.tagName("summary")).click();
            // A closed <details> hides its content (Chromium keeps its layout boxes): ask whether it is shown.
            assertEquals(false, js("return arguments[0].checkVisibility()", svg), "folded away");
            group.findElement(By.tagName("summary")).click();
            assertEquals(true, js("return arguments[0].checkVisibility()", svg), "unfolded");
            double[] before = viewBox(svg);
            js(
                    "var r = arguments[0].getBoundingClientRect(); arguments[0].dispatchEvent(new WheelEvent('wheel',"
                            + " {deltaY: -100, clientX: r.left + 100, clientY: r.top + 100, bubbles: true, cancelable: true}))",
                    svg);
            double[] zoomed = viewBox(svg);
            assertTrue(zoomed[2] < before[2] && zoomed[3] < before[3], "the wheel zooms in");
            new Actions(browser)
                    .moveToElement(svg, 0, 0)
                    .clickAndHold()
                    .moveByOffset(-120, -60)
                    .release()
                    .perform();
            double[] panned = viewBox(svg);
            assertTrue(panned[0] > zoomed[0] && panned[1] > zoomed[1], "a drag pans");
            assertEquals(zoomed[2], panned[2], 1e-6, "without zooming");
        });
    }

    private WebElement lineage() {
        return browser.findElement(By.id("lineage"));
    }

    /** Each drawn label's box and its drawing's: left, top, right, bottom, then the SVG's four. */
    private List<double[]> labelBoxes() {
        List<?> raw = (List<?>) js("return Array.from(document.querySelectorAll('#lineage text.node-label')).map(t => {"
                + " var r = t.getBoundingClientRect(), s = t.ownerSVGElement.getBoundingClientRect();"
                + " return [r.left, r.top, r.right, r.bottom, s.left, s.top, s.right, s.bottom]; })");
        List<double[]> out = new ArrayList<>();
        for (Object o : raw) {
            List<?> b = (List<?>) o;
            double[] d = new double[b.size()];
            for (int i = 0; i < d.length; i++) d[i] = ((Number) b.get(i)).doubleValue();
            out.add(d);
        }
        return out;
    }

    private double[] viewBox(WebElement svg) {
        String[] v = svg.getDomAttribute("viewBox").trim().split("\\s+");
        double[] out = new double[4];
        for (int i = 0; i < 4; i++) out[i] = Double.parseDouble(v[i]);
        return out;
    }

    /** Runs the checks; if one fails, a screenshot of the page is kept first. */
    private void checked(String name, Runnable checks) {
        try {
            checks.run();
        } catch (AssertionError | RuntimeException e) {
            try {
                Path png = ((TakesScreenshot) browser)
                        .getScreenshotAs(OutputType.FILE)
                        .toPath();
                Files.copy(png, SHOTS.resolve(name + "-failed.png"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException io) {
                e.addSuppressed(io);
            }
            throw e;
        }
    }

    private void open(String path) {
        browser.get(console + path);
        new WebDriverWait(browser, Duration.ofSeconds(60))
                .until(b -> "complete".equals(js("return document.readyState")));
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(System.getenv().getOrDefault("CLINLORA_CHROMIUM", "/usr/bin/chromium"));
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1440,1100",
                "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        File driver = new File(System.getenv().getOrDefault("CLINLORA_CHROMEDRIVER", "/usr/bin/chromedriver"));
        if (!driver.canExecute())
            throw new IllegalStateException(driver + " is missing: apt-get install -y chromium chromium-driver");
        WebDriver b = new ChromeDriver(
                new ChromeDriverService.Builder().usingDriverExecutable(driver).build(), options);
        b.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return b;
    }
}
