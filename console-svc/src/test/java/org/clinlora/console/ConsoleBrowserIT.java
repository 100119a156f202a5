package org.clinlora.console;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ExperimentManifest;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestBucket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real headless Chromium (Debian's chromium and chromium-driver, through Selenium), after a small
 * pipeline run through the four services started from their jars over the real Kafka broker and S3Proxy, in a bucket of
 * its own ({@link TestBucket}, removed afterwards): a tiny base model, a notes dataset and a length-of-stay dataset
 * built by tokenizer-svc, a Clinical LoRA and two Downstream LoRAs stacked on it trained by trainer-svc. Each page is
 * opened and checked against what the services say; screenshots go to target/console-screenshots/, page load times to
 * target/console-page-times.txt, and the browser's console must stay free of errors.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String BASE = "tiny-" + RUN, CLINICAL = "clinical-" + RUN, LOS = "los-" + RUN;
    static final String NOTES_DS = "notes-" + RUN, LOS_DS = "los-ds-" + RUN;
    static final String CLINICAL_JOB = "clinical-job-" + RUN, LOS_JOB = "los-job-" + RUN, LOS_JOB_2 = "los-job2-" + RUN;
    static final Path SHOTS = Path.of("target", "console-screenshots").toAbsolutePath();
    static final Path TIMES = Path.of("target", "console-page-times.txt").toAbsolutePath();

    static final List<Process> processes = new ArrayList<>();
    static final Map<String, String> urls = new HashMap<>();
    static final Map<String, Double> pageTimes = new LinkedHashMap<>();
    static ObjectStore store;
    static String bucket;
    static Path dir;
    static WebDriver browser;
    static String console;

    @BeforeAll
    static void pipelineAndBrowser() throws Exception {
        LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        TestAuth.installRestAssuredDefault();
        bucket = TestBucket.open();
        store = new ObjectStore(LocalInfra.s3Settings(bucket));
        dir = Files.createTempDirectory("console-it");
        Files.createDirectories(SHOTS);

        Map<String, String> env = new HashMap<>();
        env.put("CLINLORA_S3_BUCKET", bucket);
        env.put("CLINLORA_TRAINER_CACHE", dir.resolve("trainer-cache").toString());
        env.put("CLINLORA_SCORER_CACHE", dir.resolve("scorer-cache").toString());
        env.put("CLINLORA_CONSOLE_EXPERIMENTS", experimentFolder().toString());
        env.put("CLINLORA_CONSOLE_POLL", "PT0.5S");
        urls.putAll(LocalServices.launchAll(
                List.of("registry", "tokenizer", "trainer", "scorer", "console"),
                env,
                svc -> Path.of("target", svc + "-svc-console-it.log").toAbsolutePath(),
                processes));
        console = urls.get("console");

        TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(BASE, dir.resolve("m"));
        new SyntheticCorpus(new SyntheticCorpus.Settings(160, 0.9, 7)).write(dir.resolve("c"));
        store.put("inputs/discharge.csv.gz", dir.resolve("c/synthetic_discharge.csv.gz"), Map.of());
        store.put("inputs/los.csv", dir.resolve("c/synthetic_los.csv"), Map.of());
        String tokenizer = urls.get("tokenizer"), trainer = urls.get("trainer"), registry = urls.get("registry");
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId",
                        NOTES_DS,
                        "model",
                        BASE,
                        "kind",
                        "causal_lm",
                        "sources",
                        List.of("inputs/discharge.csv.gz"),
                        "seqLen",
                        64))
                .post(tokenizer + "/v1/datasets")
                .then()
                .statusCode(202);
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId",
                        LOS_DS,
                        "model",
                        BASE,
                        "kind",
                        "classification",
                        "sources",
                        List.of("inputs/los.csv"),
                        "labels",
                        List.of("0", "1", "2", "3"),
                        "seqLen",
                        64,
                        "testFraction",
                        0.3))
                .post(tokenizer + "/v1/datasets")
                .then()
                .statusCode(202);
        assertEquals("ready", await(tokenizer + "/v1/datasets/" + NOTES_DS).getString("status"));
        assertEquals("ready", await(tokenizer + "/v1/datasets/" + LOS_DS).getString("status"));

        submit(Map.of(
                "jobId",
                CLINICAL_JOB,
                "kind",
                "domain_adaptation",
                "baseModel",
                BASE,
                "datasets",
                Map.of("train", NOTES_DS),
                "outputName",
                CLINICAL,
                "optim",
                Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "maxSteps", 6)));
        assertEquals("succeeded", await(trainer + "/v1/jobs/" + CLINICAL_JOB).getString("status"));
        submit(Map.of(
                "jobId",
                LOS_JOB,
                "kind",
                "downstream",
                "baseModel",
                BASE,
                "datasets",
                Map.of("train", LOS_DS),
                "parent",
                CLINICAL + "@1",
                "outputName",
                LOS,
                "task",
                "los",
                "optim",
                Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "epochs", 2),
                "seed",
                1));
        assertEquals("succeeded", await(trainer + "/v1/jobs/" + LOS_JOB).getString("status"));
        given().contentType("application/json")
                .body(Map.of("version", 1))
                .put(registry + "/v1/adapters/" + LOS + "/aliases/production")
                .then()
                .statusCode(200);

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
        if (!driver.canExecute()) {
            throw new IllegalStateException(
                    driver
                            + " is missing: the browser test needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)");
        }
        browser = new ChromeDriver(
                new ChromeDriverService.Builder().usingDriverExecutable(driver).build(), options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws IOException {
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
        StringBuilder sb = new StringBuilder("page\tload ms (navigation start to load event end)\n");
        pageTimes.forEach((k, v) ->
                sb.append(k).append('\t').append(String.format("%.0f", v)).append('\n'));
        Files.writeString(TIMES, sb.toString());
        System.out.print("console page load times:\n" + sb);
    }

    /** After every page: the browser's console holds no error (a failed script, a 404 resource, a CSP refusal). */
    @AfterEach
    void noBrowserErrors() {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) errors.add(e.getMessage());
        }
        assertEquals(List.of(), errors, "errors in the browser console");
    }

    /**
     * The element a form's answer shows, once the browser has arrived there: a click that posts a form and follows its
     * redirect can return before the new page is in (seen under load in clean-clone CI runs).
     */
    WebElement arrived(By what) {
        return new WebDriverWait(browser, Duration.ofSeconds(30))
                .ignoring(WebDriverException.class)
                .until(b -> b.findElement(what));
    }

    @Test
    @Order(1)
    void aPageWithoutASessionAsksForATokenAndTheTokenSignsIn() {
        browser.get(console + "/registry");
        assertTrue(browser.getCurrentUrl().contains("/login"), browser.getCurrentUrl());
        browser.findElement(By.id("token")).sendKeys("not a token");
        browser.findElement(By.id("sign-in")).click();
        // The page before the post may show a message of its own (the session expired): wait for the answer's.
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .ignoring(WebDriverException.class)
                .until(b -> b.findElement(By.id("login-message")).getText().contains("not a JWT"));
        shot("login");
        open("/login");
        browser.findElement(By.id("token")).sendKeys(TestAuth.token(Roles.ALL.toArray(String[]::new)));
        browser.findElement(By.id("sign-in")).click();
        // The sign-in answers with a redirect: wait for the browser to arrive (on a busy machine the click returns
        // first; a clean-clone CI run saw /login here and /registry in the message evaluated a moment later).
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().endsWith("/registry"));
        assertFalse(browser.findElement(By.id("user-name")).getText().isBlank(), "the signed-in user is shown");
    }

    @Test
    @Order(2)
    void theRegistryShowsTheLineageFromTheBaseThroughTheClinicalLoraToTheDownstreamLora() {
        open("/registry");
        Set<String> names = browser.findElements(By.cssSelector("#lineage [data-node]")).stream()
                .map(n -> n.getAttribute("data-node"))
                .collect(Collectors.toSet());
        assertEquals(Set.of("base:" + BASE, CLINICAL + "@1", LOS + "@1"), names);
        Set<String> links = browser.findElements(By.cssSelector("#lineage [data-edge]")).stream()
                .map(e -> e.getAttribute("data-edge"))
                .collect(Collectors.toSet());
        assertEquals(Set.of("base:" + BASE + " -> " + CLINICAL + "@1", CLINICAL + "@1 -> " + LOS + "@1"), links);
        assertEquals(
                2, browser.findElements(By.cssSelector("#adapters tbody tr")).size());
        shot("registry");
    }

    @Test
    @Order(3)
    void aJobPageDrawsOnePointPerLoggedStepAndFollowsARunningJobUntilItEnds() {
        open("/jobs");
        assertEquals(2, browser.findElements(By.cssSelector("#jobs tbody tr")).size());
        open("/jobs/" + LOS_JOB);
        waitForChart("loss-chart");
        JsonPath curve = given().get(urls.get("trainer") + "/v1/jobs/" + LOS_JOB + "/metrics")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        int steps = curve.getList("steps").size();
        int total = given().get(urls.get("trainer") + "/v1/jobs/" + LOS_JOB)
                .then()
                .extract()
                .jsonPath()
                .getInt("progress.totalSteps");
        assertEquals(total, steps, "the trainer kept one record per optimizer step");
        assertEquals(steps, chartPoints("loss-chart"));
        assertEquals(steps, chartPoints("lr-chart"));
        assertEquals(steps, chartPoints("tps-chart"));
        assertEquals(curve.getList("steps.step", Integer.class), pointsX("loss-chart"));
        shot("job");

        // A second version, followed live: the page opens while the job is queued or running and polls until it ends.
        submit(Map.of(
                "jobId",
                LOS_JOB_2,
                "kind",
                "downstream",
                "baseModel",
                BASE,
                "datasets",
                Map.of("train", LOS_DS),
                "parent",
                CLINICAL + "@1",
                "outputName",
                LOS,
                "task",
                "los",
                "optim",
                Map.of("learningRate", 0.005, "batchSize", 8, "gradientAccumulation", 1, "epochs", 3),
                "seed",
                2));
        open("/jobs/" + LOS_JOB_2);
        // The page reloads itself when the job ends: elements found before then go stale, and Chrome may report a node
        // of the unloaded document as an inspector error rather than a stale element (seen in a clean-clone CI run).
        new WebDriverWait(browser, Duration.ofMinutes(3))
                .ignoring(StaleElementReferenceException.class)
                .ignoring(WebDriverException.class)
                .until(b ->
                        "succeeded".equals(b.findElement(By.id("job-status")).getText())
                                && !b.findElements(By.id("evaluation-link")).isEmpty());
        waitForChart("loss-chart");
        int total2 = given().get(urls.get("trainer") + "/v1/jobs/" + LOS_JOB_2)
                .then()
                .extract()
                .jsonPath()
                .getInt("progress.totalSteps");
        assertEquals(total2, chartPoints("loss-chart"));
        assertTrue(browser.findElement(By.id("evaluation-link")).isDisplayed());
    }

    @Test
    @Order(4)
    void theRocCurvesAreaIsTheReportedAuroc() {
        double reported = given().get(urls.get("trainer") + "/v1/jobs/" + LOS_JOB)
                .then()
                .extract()
                .jsonPath()
                .using(JsonPathConfig.jsonPathConfig().numberReturnType(JsonPathConfig.NumberReturnType.DOUBLE))
                .getDouble("metrics.'test.macro_auroc'");
        open("/evaluations");
        browser.findElement(By.linkText(LOS + "@1")).click();
        waitForChart("roc-chart");
        double shown =
                Double.parseDouble(browser.findElement(By.id("macro-auroc")).getAttribute("data-value"));
        assertEquals(reported, shown, 1e-6, "the page shows the AUROC the job reported");
        checkRocAreas(reported);
        assertFalse(
                browser.findElements(By.cssSelector("#confusion tbody tr")).isEmpty(),
                "a single-label task has a confusion matrix");
        assertTrue(chartSeries("pr-chart") >= 2);
        shot("evaluation");

        // The same through scorer-svc's POST /v1/evaluate, from the form.
        open("/evaluations");
        browser.findElement(By.name("datasetId")).sendKeys(LOS_DS);
        browser.findElement(By.name("task")).sendKeys(LOS + "@1");
        browser.findElement(By.cssSelector("#evaluate-form button")).click();
        waitForChart("roc-chart");
        double evaluated =
                Double.parseDouble(browser.findElement(By.id("macro-auroc")).getAttribute("data-value"));
        checkRocAreas(evaluated);
        assertEquals(reported, evaluated, 1e-3, "the scorer's evaluation of the test split agrees with the trainer's");
        shot("evaluate-run");
    }

    @Test
    @Order(5)
    void anAliasIsPromotedAndAConcurrentPromotionShowsTheConflict() {
        open("/registry/" + LOS);
        assertEquals("v1", aliasVersion("production"));
        new Select(browser.findElement(By.cssSelector("[data-alias=production] form.promote select")))
                .selectByValue("2");
        browser.findElement(By.cssSelector("[data-alias=production] form.promote button"))
                .click();
        assertTrue(arrived(By.id("notice")).getText().contains("production"));
        assertEquals("v2", aliasVersion("production"));
        assertEquals(
                2,
                given().get(urls.get("registry") + "/v1/adapters/" + LOS + "/aliases/production")
                        .then()
                        .extract()
                        .jsonPath()
                        .getInt("version"));
        shot("promoted");

        // Someone else rolls it back to v1 while this page still shows v2; then this page promotes v2 again: 409,
        // nothing changed.
        open("/registry/" + LOS);
        given().contentType("application/json")
                .body(Map.of("version", 1, "expectedVersion", 2))
                .put(urls.get("registry") + "/v1/adapters/" + LOS + "/aliases/production")
                .then()
                .statusCode(200);
        new Select(browser.findElement(By.cssSelector("[data-alias=production] form.promote select")))
                .selectByValue("2");
        browser.findElement(By.cssSelector("[data-alias=production] form.promote button"))
                .click();
        assertTrue(
                arrived(By.id("conflict")).getText().contains("moved by someone else"),
                browser.findElement(By.id("conflict")).getText());
        assertEquals("v1", aliasVersion("production"));
        assertEquals(
                1,
                given().get(urls.get("registry") + "/v1/adapters/" + LOS + "/aliases/production")
                        .then()
                        .extract()
                        .jsonPath()
                        .getInt("version"));
        shot("conflict");
    }

    @Test
    @Order(6)
    void datasetsAndExperimentsArePages() {
        open("/datasets");
        assertEquals(
                Set.of(NOTES_DS, LOS_DS),
                new HashSet<>(browser.findElements(By.cssSelector("#datasets tbody tr")).stream()
                        .map(r -> r.getAttribute("data-dataset"))
                        .toList()));
        assertTrue(browser.findElements(By.cssSelector("#datasets .status")).stream()
                .allMatch(s -> s.getText().equals("ready")));
        shot("datasets");
        open("/experiments?dir=synthetic");
        assertEquals(
                8, browser.findElements(By.cssSelector("#results tbody tr")).size());
        List<WebElement> figures = browser.findElements(By.cssSelector(".figures img"));
        assertEquals(1, figures.size());
        assertTrue(
                (Boolean) js("return arguments[0].complete && arguments[0].naturalWidth > 0", figures.get(0)),
                "the figure loaded");
        shot("experiments");
    }

    @Test
    @Order(7)
    void jobsAreSearchedFilteredSortedAndPagedThroughAShareableUrl() {
        open("/jobs");
        browser.findElement(By.cssSelector("#job-search input[name=q]")).sendKeys("los-job");
        browser.findElement(By.cssSelector("#job-search input[name=status][value=succeeded]"))
                .click();
        browser.findElement(By.cssSelector("#job-search button[type=submit]")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().contains("q=los-job"));
        assertTrue(browser.getCurrentUrl().contains("status=succeeded"), browser.getCurrentUrl());
        assertEquals(Set.of(LOS_JOB, LOS_JOB_2), jobRows());
        assertEquals(
                "los-job",
                browser.findElement(By.cssSelector("#job-search input[name=q]")).getAttribute("value"),
                "the form shows the search it made");
        shot("jobs-search");

        // One job a page: the pager walks all three, each once.
        open("/jobs?limit=1");
        assertEquals("3", browser.findElement(By.id("job-total")).getText());
        List<String> walked = new ArrayList<>(jobRows());
        while (!browser.findElements(By.id("next-page")).isEmpty()) {
            browser.findElement(By.id("next-page")).click();
            new WebDriverWait(browser, Duration.ofSeconds(30))
                    .until(b -> b.getCurrentUrl().contains("offset=" + walked.size()));
            walked.addAll(jobRows());
        }
        assertEquals(Set.of(CLINICAL_JOB, LOS_JOB, LOS_JOB_2), new HashSet<>(walked));
        assertEquals(3, walked.size());
        assertFalse(browser.findElements(By.id("previous-page")).isEmpty(), "the last page leads back");

        // Sorted by a metric: the order of the two length-of-stay jobs' test AUROC.
        open("/jobs?task=los&sort=metrics.test.macro_auroc&order=desc");
        List<String> byAuroc = browser.findElements(By.cssSelector("#jobs tbody tr")).stream()
                .map(r -> r.getAttribute("data-job"))
                .toList();
        assertEquals(
                auroc(LOS_JOB) > auroc(LOS_JOB_2) ? List.of(LOS_JOB, LOS_JOB_2) : List.of(LOS_JOB_2, LOS_JOB), byAuroc);
        open("/jobs?since=2000-01-01&until=2000-01-02");
        assertTrue(browser.findElement(By.id("job-count")).getText().contains("No jobs match"));
        assertEquals(400, consoleStatus("/jobs?status=done"), "a status the trainer does not know is a 400 page");
    }

    @Test
    @Order(8)
    void versionsAreSearchedAcrossAdaptersAndPaged() {
        open("/registry?task=los");
        assertEquals(List.of(LOS + "@2", LOS + "@1"), versionRows());
        open("/registry?parent=" + CLINICAL + "@1&sort=createdAt&order=asc");
        assertEquals(List.of(LOS + "@1", LOS + "@2"), versionRows());
        open("/registry?limit=2");
        assertEquals("3", browser.findElement(By.id("version-total")).getText());
        assertEquals(List.of(LOS + "@2", LOS + "@1"), versionRows(), "newest first");
        browser.findElement(By.id("next-page")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().contains("offset=2"));
        assertEquals(List.of(CLINICAL + "@1"), versionRows());
        shot("registry-search");
        assertEquals(400, consoleStatus("/registry?sort=size"));
    }

    @Test
    @Order(9)
    void aJobPageShowsItsSettingsAndItsValidationScoreAtEveryEpoch() {
        open("/jobs/" + LOS_JOB);
        assertEquals("8", setting("lora.r"));
        assertEquals("0.1", setting("lora.dropout"));
        assertEquals("0.01", setting("optim.learningRate"));
        assertEquals("2", setting("optim.epochs"));
        assertEquals("8", setting("optim.effectiveBatch"));
        assertEquals(LOS_DS, setting("datasets.train"));
        assertEquals(CLINICAL + "@1", setting("parent"));
        assertEquals("64", setting("data.seqLen"), "the row length tokenizer-svc built the dataset with");
        assertEquals("best-validation-auroc", setting("protocol.selection"));
        JsonPath curve = given().get(urls.get("trainer") + "/v1/jobs/" + LOS_JOB + "/metrics")
                .then()
                .extract()
                .jsonPath();
        assertEquals(List.of(1.0, 2.0), curve.getList("epochs.epoch", Double.class), "one score per epoch");
        waitForChart("val-auroc-chart");
        assertEquals(2, chartPoints("val-auroc-chart"));
        assertEquals(2, chartPoints("val-loss-chart"));
        assertEquals(2, browser.findElements(By.cssSelector("#epochs tbody tr")).size());
        assertEquals(
                1,
                browser.findElements(By.cssSelector("#epochs tbody tr .alias")).size(),
                "the kept epoch is marked");
        shot("job-settings");
    }

    @Test
    @Order(10)
    void twoRunsTickedInTheJobsListAreComparedSideBySide() {
        open("/jobs?task=los");
        browser.findElement(By.cssSelector("#jobs input[name=id][value='" + LOS_JOB + "']"))
                .click();
        browser.findElement(By.cssSelector("#jobs input[name=id][value='" + LOS_JOB_2 + "']"))
                .click();
        browser.findElement(By.id("compare")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().contains("/compare?"));
        waitForChart("compare-loss");
        assertEquals(2, chartSeries("compare-loss"), "one loss curve per job");
        Map<String, Integer> steps = new HashMap<>(), epochs = new HashMap<>();
        for (String job : List.of(LOS_JOB, LOS_JOB_2)) {
            JsonPath c = given().get(urls.get("trainer") + "/v1/jobs/" + job + "/metrics")
                    .then()
                    .extract()
                    .jsonPath();
            steps.put(job, c.getList("steps").size());
            epochs.put(job, c.getList("epochs").size());
        }
        assertEquals(steps, seriesLengths("compare-loss"));
        assertEquals(epochs, seriesLengths("compare-val-auroc"));
        assertEquals(Map.of(LOS_JOB, 2, LOS_JOB_2, 3), epochs);
        Set<String> differing = browser.findElements(By.cssSelector("#differing tbody tr")).stream()
                .map(r -> r.getAttribute("data-setting"))
                .collect(Collectors.toSet());
        assertTrue(differing.containsAll(Set.of("optim.learningRate", "optim.epochs", "seed")), differing.toString());
        List<String> columns = browser.findElements(By.cssSelector("#compare-runs thead th a")).stream()
                .map(WebElement::getText)
                .toList();
        assertEquals(Set.of(LOS_JOB, LOS_JOB_2), new HashSet<>(columns));
        assertEquals(
                List.of(
                        "optim.epochs",
                        columns.get(0).equals(LOS_JOB) ? "2" : "3",
                        columns.get(0).equals(LOS_JOB) ? "3" : "2"),
                browser.findElements(By.cssSelector("#differing tr[data-setting='optim.epochs'] td")).stream()
                        .map(WebElement::getText)
                        .toList(),
                "each job's value in its column");
        assertFalse(differing.contains("lora.r"), "a setting both share is not among the differences");
        assertFalse(differing.contains("baseModel"));
        List<WebElement> aurocs =
                browser.findElements(By.cssSelector("#compare-metrics tr[data-metric='test.macro_auroc'] td.num"));
        assertEquals(2, aurocs.size());
        double first = auroc(columns.get(0)), second = auroc(columns.get(1));
        int better = first >= second ? 0 : 1;
        assertTrue(aurocs.get(better).getAttribute("class").contains("best"), "the better test AUROC is marked");
        assertFalse(aurocs.get(1 - better).getAttribute("class").contains("best"));
        shot("compare");
        assertEquals(400, consoleStatus("/compare?id=" + LOS_JOB), "one job is not a comparison");
    }

    @Test
    @Order(11)
    void aVersionsFilesLineageAndDownloadsAreItsArtifactView() {
        open("/jobs/" + LOS_JOB);
        browser.findElement(By.id("artifacts-link")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().endsWith("/registry/" + LOS + "/1"));
        Map<String, Map<String, Object>> files = given().get(
                        urls.get("registry") + "/v1/adapters/" + LOS + "/versions/1")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("files");
        Map<String, String> shown = new HashMap<>();
        for (WebElement row : browser.findElements(By.cssSelector("#files tbody tr"))) {
            String name = row.getAttribute("data-file");
            shown.put(name, row.getAttribute("data-sha256"));
            assertEquals(String.valueOf(files.get(name).get("size")), row.getAttribute("data-size"), name + " size");
        }
        Map<String, String> expected = new HashMap<>();
        files.forEach((k, v) -> expected.put(k, (String) v.get("sha256")));
        assertEquals(expected, shown, "every file with the sha256 the registry verified");
        assertTrue(shown.keySet()
                .containsAll(Set.of("adapter_config.json", "adapter_model.safetensors", "evaluation.json")));
        assertEquals(
                List.of("base:" + BASE, CLINICAL + "@1", LOS + "@1"),
                browser.findElements(By.cssSelector("#lineage-chain li")).stream()
                        .map(li -> li.getAttribute("data-ref"))
                        .toList());
        shot("artifacts");

        // The download, fetched by the page itself (the session cookie): its bytes hash to the card's sha256.
        String href = browser.findElement(By.cssSelector("#files tr[data-file='adapter_model.safetensors'] a.download"))
                .getAttribute("href");
        Object got = ((JavascriptExecutor) browser)
                .executeAsyncScript(
                        "var done = arguments[arguments.length - 1];"
                                + "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer())"
                                + ".then(b => crypto.subtle.digest('SHA-256', b).then(h => done([b.byteLength,"
                                + " Array.from(new Uint8Array(h)).map(x => x.toString(16).padStart(2, '0')).join('')])))"
                                + ".catch(e => done(String(e)));",
                        href);
        List<?> sizeAndSha = (List<?>) got;
        assertEquals(
                ((Number) files.get("adapter_model.safetensors").get("size")).longValue(),
                ((Number) sizeAndSha.get(0)).longValue());
        assertEquals(shown.get("adapter_model.safetensors"), sizeAndSha.get(1), "the bytes the registry verified");

        browser.findElement(By.linkText(CLINICAL + "@1")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().endsWith("/registry/" + CLINICAL + "/1"));
        assertEquals(
                List.of("base:" + BASE, CLINICAL + "@1"),
                browser.findElements(By.cssSelector("#lineage-chain li")).stream()
                        .map(li -> li.getAttribute("data-ref"))
                        .toList());
    }

    // ---- helpers

    private Set<String> jobRows() {
        return new HashSet<>(browser.findElements(By.cssSelector("#jobs tbody tr")).stream()
                .map(r -> r.getAttribute("data-job"))
                .toList());
    }

    private List<String> versionRows() {
        return browser.findElements(By.cssSelector("#versions tbody tr")).stream()
                .map(r -> r.getAttribute("data-version"))
                .toList();
    }

    private String setting(String name) {
        return browser.findElement(By.cssSelector("#settings tr[data-setting='" + name + "'] td:nth-child(2)"))
                .getText();
    }

    private static double auroc(String job) {
        return given().get(urls.get("trainer") + "/v1/jobs/" + job)
                .then()
                .extract()
                .jsonPath()
                .using(JsonPathConfig.jsonPathConfig().numberReturnType(JsonPathConfig.NumberReturnType.DOUBLE))
                .getDouble("metrics.'test.macro_auroc'");
    }

    /** The status a console page answers for the signed-in user (outside the browser: an error page logs a 4xx). */
    private static int consoleStatus(String path) {
        return given().header("Authorization", "")
                .header("Cookie", "clinlora_token=" + TestAuth.token(Roles.ALL.toArray(String[]::new)))
                .redirects()
                .follow(false)
                .get(console + path)
                .statusCode();
    }

    /** Each series' name and its number of points. */
    private Map<String, Integer> seriesLengths(String id) {
        List<?> series = (List<?>) js("return echarts.getInstanceByDom(document.getElementById('" + id
                + "')).getOption().series.map(s => [s.name, s.data.length])");
        Map<String, Integer> out = new HashMap<>();
        for (Object o : series) {
            List<?> s = (List<?>) o;
            out.put((String) s.get(0), ((Number) s.get(1)).intValue());
        }
        return out;
    }

    private void checkRocAreas(double macro) {
        List<?> series = (List<?>)
                js(
                        "return echarts.getInstanceByDom(document.getElementById('roc-chart')).getOption().series"
                                + ".filter(s => s.name !== 'macro' && s.name !== 'chance').map(s => ({name: s.name, data: s.data}))");
        double sum = 0;
        int n = 0;
        for (Object o : series) {
            Map<?, ?> s = (Map<?, ?>) o;
            double area = 0;
            List<?> pts = (List<?>) s.get("data");
            for (int i = 1; i < pts.size(); i++) {
                List<?> a = (List<?>) pts.get(i - 1), b = (List<?>) pts.get(i);
                area += (num(b.get(0)) - num(a.get(0))) * (num(b.get(1)) + num(a.get(1))) / 2;
            }
            String label = (String) s.get("name");
            double labelAuroc = Double.parseDouble(
                    browser.findElement(By.cssSelector("#label-aurocs tr[data-label='" + label + "']"))
                            .getAttribute("data-auroc"));
            assertEquals(
                    labelAuroc, area, 1e-3, "label " + label + ": the area under its drawn ROC curve is its AUROC");
            sum += area;
            n++;
        }
        assertTrue(n >= 2, "at least two labels have ROC curves");
        assertEquals(macro, sum / n, 1e-3, "the mean area under the drawn ROC curves is the reported macro AUROC");
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    private String aliasVersion(String alias) {
        return browser.findElement(By.cssSelector("[data-alias=" + alias + "] .alias-version"))
                .getText();
    }

    private int chartPoints(String id) {
        return ((Number) js("return echarts.getInstanceByDom(document.getElementById('" + id
                        + "')).getOption().series[0].data.length"))
                .intValue();
    }

    private int chartSeries(String id) {
        return ((Number) js("return echarts.getInstanceByDom(document.getElementById('" + id
                        + "')).getOption().series.length"))
                .intValue();
    }

    private List<Integer> pointsX(String id) {
        List<?> xs = (List<?>) js("return echarts.getInstanceByDom(document.getElementById('" + id
                + "')).getOption().series[0].data.map(p => p[0])");
        return xs.stream().map(x -> ((Number) x).intValue()).toList();
    }

    private void waitForChart(String id) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(b -> (Boolean) js("var el = document.getElementById('"
                + id + "'); return !!(el && window.echarts && echarts.getInstanceByDom(el))"));
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    /** Opens a console page and records how long it took to load (navigation start to the load event's end). */
    private void open(String path) {
        browser.get(console + path);
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> "complete".equals(js("return document.readyState")));
        Number ms = (Number) js(
                "var n = performance.getEntriesByType('navigation')[0]; return n ? n.loadEventEnd - n.startTime : -1");
        pageTimes.merge(path.replaceAll("-" + RUN, ""), ms.doubleValue(), (a, b) -> b);
    }

    private void shot(String name) {
        try {
            Path png =
                    ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void submit(Map<String, Object> job) {
        given().contentType("application/json")
                .body(job)
                .post(urls.get("trainer") + "/v1/jobs")
                .then()
                .statusCode(202);
    }

    private static JsonPath await(String url) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        JsonPath last = null;
        while (System.nanoTime() < end) {
            last = given().get(url).then().extract().jsonPath();
            if (List.of("ready", "failed", "succeeded", "cancelled").contains(last.getString("status"))) return last;
            Thread.sleep(300);
        }
        throw new AssertionError(url + " did not finish; last: " + (last == null ? null : last.prettify()));
    }

    /** An experiment output folder as ./clinlora experiment leaves it: results.csv (one row per run) and a figure. */
    private static Path experimentFolder() throws IOException {
        Path root = Files.createTempDirectory("console-experiments");
        Path d = Files.createDirectories(root.resolve("synthetic"));
        StringBuilder csv = new StringBuilder("task,variant,seed,test_macro_auroc,best_epoch,seconds\n");
        String[] variants = {"downstream", "head_only", "clinical_frozen", "clinical_trainable"};
        for (String task : new String[] {"los", "mor"}) {
            for (int i = 0; i < variants.length; i++)
                csv.append(task)
                        .append(',')
                        .append(variants[i])
                        .append(",1,0.")
                        .append(60 + i)
                        .append(",2,")
                        .append(10 + i)
                        .append('\n');
        }
        Files.writeString(d.resolve("results.csv"), csv.toString());
        Files.writeString(
                d.resolve("roc_los.svg"),
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"200\"><path d=\"M0 200 L40 80 L200 0\" stroke=\"#2f7ebc\" fill=\"none\"/></svg>");
        return root;
    }

    /**
     * An experiment published to the bucket as {@code ./clinlora experiment --publish} leaves it (the files, then the
     * manifest with their sha256s) is listed and opened from the list, its table and figure shown: no file copied by
     * hand, nothing under the experiments root.
     */
    @Test
    @Order(12)
    void aPublishedExperimentIsListedAndShownFromTheBucket() {
        String name = "published-" + RUN;
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(
                "results.csv",
                "task,variant,seed,test_macro_auroc\nlos,downstream,1,0.61\nlos,head_only,1,0.58\n"
                        .getBytes(StandardCharsets.UTF_8));
        files.put(
                "config.json",
                "{\"name\": \"published\", \"protocol\": \"paper-text\"}".getBytes(StandardCharsets.UTF_8));
        files.put(
                "figures/auroc.svg",
                ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\">"
                                + "<rect width=\"120\" height=\"60\" fill=\"#2f7ebc\"/></svg>")
                        .getBytes(StandardCharsets.UTF_8));
        files.forEach((f, b) -> store.put(StoreLayout.experiment(name) + f, b, Map.of()));
        store.put(
                StoreLayout.experiment(name) + StoreLayout.EXPERIMENT_MANIFEST,
                new ExperimentManifest(
                                name,
                                "paper-text",
                                2,
                                "2026-12-06T09:30:00Z",
                                "0".repeat(64),
                                files.entrySet().stream()
                                        .map(e -> new ExperimentManifest.Entry(
                                                e.getKey(), e.getValue().length, Sha256.of(e.getValue())))
                                        .toList())
                        .toJson(),
                Map.of());

        open("/experiments");
        browser.findElement(By.cssSelector("#published tr[data-experiment='" + name + "'] a"))
                .click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(b -> b.getCurrentUrl().endsWith("/experiments/" + name)
                        && "complete".equals(js("return document.readyState")));
        assertEquals(
                2, browser.findElements(By.cssSelector("#results tbody tr")).size());
        List<WebElement> figures = browser.findElements(By.cssSelector(".figures img"));
        assertEquals(1, figures.size());
        assertTrue(
                (Boolean) js("return arguments[0].complete && arguments[0].naturalWidth > 0", figures.get(0)),
                "the published figure loaded");
        shot("experiment-published");
    }
}
