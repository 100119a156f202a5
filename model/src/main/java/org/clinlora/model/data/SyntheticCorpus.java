package org.clinlora.model.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Made-up MIMIC-style notes and the paper's five outcome tasks, for tests and demos (real MIMIC data is credentialed
 * and never in this repository). Each admission gets labels first — length of stay (4 classes), in-hospital mortality,
 * prolonged mechanical ventilation, ICD-9-like diagnosis and procedure codes — and then a discharge summary and 0–2
 * radiology reports. Label signal is planted in the admission note: each true label's cue phrase appears with
 * probability {@code signal}, each false label's with a small probability, so a model can learn the tasks and an
 * untrained one scores near chance. Seeded: the same settings give the same bytes. Every note starts with
 * {@link #MARK}, and every file name with {@code synthetic_}.
 */
public final class SyntheticCorpus {
    public static final String MARK = "SYNTHETIC NOTE - made up by clinlora, not real patient data.";

    public record Settings(int patients, double signal, long seed) {
        public Settings {
            if (patients < 1) throw new IllegalArgumentException("patients must be at least 1");
            if (signal < 0 || signal > 1) throw new IllegalArgumentException("signal must be in [0, 1]");
        }
    }

    /** The five tasks: name, file, whether multilabel, and the label vocabulary in its stable order. */
    public record Task(String name, boolean multilabel, List<String> labelNames) {}

    /**
     * ICD-9-like codes in five clinical clusters (cardiac, infection, renal-metabolic, GI-hepatic, chronic), as real
     * comorbidities cluster: an admission belongs to one cluster and draws most of its codes from it. The note carries
     * a cue for the cluster (the service it was admitted to) and one per code, each planted at the signal strength.
     */
    static final String[][][] DIAG_CLUSTERS = {
        {
            {"4019", "essential hypertension"},
            {"4280", "congestive heart failure"},
            {"42731", "atrial fibrillation"},
            {"41401", "coronary atherosclerosis"},
            {"41071", "subendocardial infarction"},
            {"4240", "mitral valve disorder"},
            {"2724", "hyperlipidemia"}
        },
        {
            {"99592", "severe sepsis"},
            {"0389", "septicemia"},
            {"486", "pneumonia"},
            {"5990", "urinary tract infection"},
            {"5070", "aspiration pneumonitis"},
            {"51881", "acute respiratory failure"}
        },
        {
            {"5849", "acute kidney failure"},
            {"2762", "acidosis"},
            {"2761", "hyponatremia"},
            {"2767", "hyperpotassemia"},
            {"25000", "type 2 diabetes"},
            {"3572", "diabetic polyneuropathy"}
        },
        {
            {"5789", "gastrointestinal hemorrhage"},
            {"2851", "acute posthemorrhagic anemia"},
            {"5715", "cirrhosis of liver"},
            {"53081", "esophageal reflux"},
            {"2875", "thrombocytopenia"}
        },
        {
            {"496", "chronic airway obstruction"},
            {"3051", "tobacco use disorder"},
            {"2449", "hypothyroidism"},
            {"V5861", "long-term anticoagulant use"},
            {"43491", "cerebral artery occlusion"},
            {"73300", "osteoporosis"}
        }
    };

    static final String[][][] PROC_CLUSTERS = {
        {
            {"3722", "left heart cardiac catheterization"},
            {"8856", "coronary arteriography"},
            {"0066", "percutaneous coronary angioplasty"},
            {"3615", "coronary artery bypass"},
            {"8872", "diagnostic ultrasound of heart"}
        },
        {
            {"3893", "central venous catheter placement"},
            {"9604", "endotracheal tube insertion"},
            {"9671", "mechanical ventilation under 96 hours"},
            {"3891", "arterial catheterization"}
        },
        {{"3995", "hemodialysis"}, {"9915", "parenteral nutrition"}},
        {
            {"4513", "upper GI endoscopy"},
            {"9904", "packed cell transfusion"},
            {"5491", "percutaneous abdominal drainage"},
            {"4311", "percutaneous gastrostomy"}
        },
        {
            {"3324", "bronchoscopy with biopsy"},
            {"3491", "thoracentesis"},
            {"0331", "spinal tap"},
            {"8703", "CT scan of head"}
        }
    };
    static final String[] PMV_PROC = {"9672", "mechanical ventilation over 96 hours"};
    static final String[][] CLUSTER_CUES = {
        {"admitted to the cardiology service", "cardiology consulted on arrival"},
        {"admitted to the medical ICU for sepsis workup", "blood cultures drawn and broad spectrum antibiotics started"
        },
        {"nephrology consulted for renal and electrolyte issues", "electrolytes monitored and repleted closely"},
        {"hepatology and GI consulted", "serial hematocrits monitored"},
        {
            "admitted to the general medicine service for chronic conditions",
            "outpatient regimen continued for chronic problems"
        }
    };
    static final String[][] DIAG = flatten(DIAG_CLUSTERS, null);
    static final String[][] PROC = flatten(PROC_CLUSTERS, PMV_PROC);

    private static String[][] flatten(String[][][] clusters, String[] extra) {
        List<String[]> out = new ArrayList<>();
        for (String[][] c : clusters) out.addAll(List.of(c));
        if (extra != null) out.add(extra);
        return out.toArray(String[][]::new);
    }

    static final String[][] LOS_CUES = {
        {"observed overnight and improving quickly", "symptoms resolved within a day"},
        {"expected to need several days of IV antibiotics", "slow improvement over a few days"},
        {"complicated course requiring ICU transfer", "prolonged workup with multiple consults"},
        {"very prolonged hospitalization anticipated", "awaiting long-term acute care placement"}
    };
    static final String[] MOR_CUES = {
        "family meeting held regarding goals of care, made DNR/DNI", "hypotensive despite three pressors"
    };
    static final String[] PMV_CUES = {
        "intubated in the field and difficult to wean from the ventilator",
        "tracheostomy discussed for prolonged ventilation"
    };
    static final String[] FILLER = {
        "Patient denies chest pain.",
        "Vital signs stable on arrival.",
        "Lives with family.",
        "No known drug allergies.",
        "Tolerating a regular diet.",
        "Ambulating with assistance.",
        "Labs notable for mild anemia.",
        "Seen by physical therapy.",
        "Home medications reviewed.",
        "Afebrile overnight."
    };
    static final String[] COMPLAINTS = {
        "shortness of breath",
        "chest pain",
        "fever",
        "abdominal pain",
        "altered mental status",
        "weakness",
        "fall",
        "syncope",
        "cough",
        "nausea and vomiting"
    };

    public static final List<Task> TASKS = List.of(
            new Task("los", false, List.of("0", "1", "2", "3")),
            new Task("mor", false, List.of("0", "1")),
            new Task("pmv", false, List.of("0", "1")),
            new Task("diag", true, codes(DIAG)),
            new Task("proc", true, codes(PROC)));

    private static List<String> codes(String[][] table) {
        List<String> out = new ArrayList<>();
        for (String[] c : table) out.add(c[0]);
        return List.copyOf(out);
    }

    /** One admission with its labels and notes. */
    public record Admission(
            String subjectId,
            String hadmId,
            int los,
            boolean mortality,
            boolean pmv,
            List<String> diag,
            List<String> proc,
            String admissionNote,
            String dischargeSummary,
            List<String> radiology) {
        public List<String> labels(String task) {
            return switch (task) {
                case "los" -> List.of(String.valueOf(los));
                case "mor" -> List.of(mortality ? "1" : "0");
                case "pmv" -> List.of(pmv ? "1" : "0");
                case "diag" -> diag;
                case "proc" -> proc;
                default -> throw new IllegalArgumentException("unknown task " + task);
            };
        }
    }

    private final Settings s;

    public SyntheticCorpus(Settings settings) {
        this.s = settings;
    }

    /** All admissions, patient by patient (1–3 admissions each). */
    public List<Admission> admissions() {
        SplittableRandom r = new SplittableRandom(s.seed());
        List<Admission> out = new ArrayList<>();
        for (int p = 0; p < s.patients(); p++) {
            String subject = String.valueOf(10_000_000 + p);
            int n = 1 + r.nextInt(3);
            for (int a = 0; a < n; a++) out.add(admission(r, subject, String.valueOf(20_000_000 + out.size())));
        }
        return out;
    }

    private Admission admission(SplittableRandom r, String subject, String hadm) {
        int los = r.nextInt(4);
        boolean mor = r.nextDouble() < 0.12 + 0.05 * los;
        boolean pmv = r.nextDouble() < 0.15;
        int cluster = r.nextInt(DIAG_CLUSTERS.length);
        TreeSet<String> diag = pick(r, DIAG_CLUSTERS[cluster], 0.5, 1), proc = pick(r, PROC_CLUSTERS[cluster], 0.5, 0);
        if (r.nextDouble() < 0.15) diag.add(DIAG[r.nextInt(DIAG.length)][0]); // a comorbidity from another cluster
        if (pmv) proc.add(PMV_PROC[0]);

        List<String> cues = new ArrayList<>();
        plant(r, cues, LOS_CUES[los][r.nextInt(2)], true);
        for (int k = 0; k < 4; k++) if (k != los) plant(r, cues, LOS_CUES[k][r.nextInt(2)], false);
        plant(r, cues, MOR_CUES[r.nextInt(2)], mor);
        plant(r, cues, PMV_CUES[r.nextInt(2)], pmv);
        // The service line is the strongest hint a note gives about its codes: both of its phrases are planted.
        for (int k = 0; k < CLUSTER_CUES.length; k++) {
            if (k == cluster) for (String cue : CLUSTER_CUES[k]) plant(r, cues, cue, true);
            else plant(r, cues, CLUSTER_CUES[k][r.nextInt(2)], false);
        }
        for (String[] d : DIAG) plant(r, cues, "history of " + d[1], diag.contains(d[0]));
        for (String[] c : PROC) plant(r, cues, "plan for " + c[1], proc.contains(c[0]));

        String complaint = COMPLAINTS[r.nextInt(COMPLAINTS.length)];
        int age = 40 + r.nextInt(50);
        StringBuilder hpi = new StringBuilder(
                "___ year old " + (r.nextBoolean() ? "man" : "woman") + " presenting with " + complaint + ".");
        List<String> sentences = new ArrayList<>(cues);
        for (int i = 0; i < 3; i++) sentences.add(FILLER[r.nextInt(FILLER.length)]);
        shuffle(r, sentences);
        for (String x : sentences) hpi.append(' ').append(x.endsWith(".") ? x : x + ".");
        String admissionNote = MARK + "\nChief Complaint: " + complaint + "\n\nHistory of Present Illness:\n" + hpi
                + "\n\nPast Medical History:\nAge " + age + ". " + FILLER[r.nextInt(FILLER.length)];
        StringBuilder ds = new StringBuilder(admissionNote);
        ds.append("\n\nBrief Hospital Course:\n")
                .append(los >= 2 ? "Prolonged course." : "Uncomplicated course.")
                .append(pmv ? " Required mechanical ventilation." : "")
                .append("\n\nDischarge Diagnosis:\n");
        for (String[] d : DIAG) if (diag.contains(d[0])) ds.append(d[1]).append('\n');
        ds.append("\nDischarge Disposition:\n").append(mor ? "Expired" : "Home");
        List<String> rad = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) rad.add(radiologyReport(complaint, diag, EXAMS[0], ""));
        return new Admission(
                subject, hadm, los, mor, pmv, List.copyOf(diag), List.copyOf(proc), admissionNote, ds.toString(), rad);
    }

    static final String[] EXAMS = {
        "Chest radiograph",
        "CT abdomen and pelvis with contrast",
        "CT head without contrast",
        "Renal ultrasound",
        "Portable chest radiograph",
        "MRI brain with and without contrast"
    };

    private static String radiologyReport(String complaint, Collection<String> diag, String exam, String extraFinding) {
        return MARK + "\nEXAMINATION: " + exam + "\nINDICATION: ___ with " + complaint + "\nFINDINGS: "
                + (diag.contains("486") ? "Focal consolidation in the right lower lobe." : "Lungs are clear.")
                + extraFinding
                + "\nIMPRESSION: "
                + (diag.contains("4280") ? "Mild pulmonary edema." : "No acute cardiopulmonary process.");
    }

    /**
     * Streams a MIMIC-IV-Note corpus of a given size — {@code discharge} summaries and {@code radiology} reports, the
     * reports spread evenly over the admissions — into {@code discharge.csv.gz} and {@code radiology.csv.gz} (the
     * MIMIC-IV-Note file names and columns), one admission in memory at a time. Returns the notes' text bytes.
     */
    public long writeNotes(Path dir, long discharge, long radiology) throws IOException {
        if (discharge < 1 || radiology < 0)
            throw new IllegalArgumentException("at least one discharge summary, and radiology >= 0");
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(s.seed()), extra = new SplittableRandom(s.seed() ^ 0x5DEECE66DL);
        long bytes = 0, written = 0;
        try (CsvWriter d = new CsvWriter(dir.resolve("discharge.csv.gz"), NoteFiles.MIMIC_COLUMNS);
                CsvWriter rad = new CsvWriter(dir.resolve("radiology.csv.gz"), NoteFiles.MIMIC_COLUMNS)) {
            for (long k = 0; k < discharge; k++) {
                String subject = String.valueOf(10_000_000 + k / 2), hadm = String.valueOf(20_000_000 + k);
                Admission a = admission(r, subject, hadm);
                d.row(List.of(subject + "-DS-" + k, subject, hadm, "DS", "1", "", "", a.dischargeSummary()));
                bytes += utf8(a.dischargeSummary());
                long reports = (k + 1) * radiology / discharge - k * radiology / discharge;
                for (long i = 0; i < reports; i++) {
                    String text = radiologyReport(
                            COMPLAINTS[extra.nextInt(COMPLAINTS.length)],
                            a.diag(),
                            EXAMS[extra.nextInt(EXAMS.length)],
                            " " + FILLER[extra.nextInt(FILLER.length)]);
                    rad.row(List.of(
                            subject + "-RR-" + (++written), subject, hadm, "RR", String.valueOf(i + 1), "", "", text));
                    bytes += utf8(text);
                }
            }
        }
        return bytes;
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Writes the five tasks as the paper's data recipes lay them out, patients split 70/10/20 once (seeded):
     * {@code core/{LOS_WEEKS,MP_IN,DIA_PLUS,PRO_PLUS}_adm_{train,val,test}.csv} with CORe's columns ({@code id, text}
     * and {@code los_label}, {@code hospital_expire_flag} or a comma-separated {@code labels}) and
     * {@code beep/pmv_{train,dev,test}.csv} ({@code id, text, label}). No subject_id column, as in the recipes. Returns
     * rows by file.
     */
    public Map<String, Integer> writeRecipes(Path dir) throws IOException {
        List<Admission> admissions = admissions();
        Map<String, Integer> counts = new LinkedHashMap<>();
        String[][] core = {
            {"los", "LOS_WEEKS_adm", "los_label"},
            {"mor", "MP_IN_adm", "hospital_expire_flag"},
            {"diag", "DIA_PLUS_adm", "labels"},
            {"proc", "PRO_PLUS_adm", "labels"}
        };
        for (String[] t : core) {
            writeSplits(
                    dir.resolve("core"),
                    admissions,
                    t[0],
                    t[1] + "_",
                    List.of("train", "val", "test"),
                    t[2],
                    ",",
                    counts);
        }
        writeSplits(
                dir.resolve("beep"), admissions, "pmv", "pmv_", List.of("train", "dev", "test"), "label", ",", counts);
        Files.writeString(
                dir.resolve("SYNTHETIC.md"),
                "# Synthetic data in the recipes' formats\n\nMade up by `./clinlora synth-notes "
                        + "--recipes` (patients " + s.patients() + ", signal " + s.signal() + ", seed " + s.seed()
                        + "); not real patient data.\n");
        return counts;
    }

    private void writeSplits(
            Path dir,
            List<Admission> admissions,
            String task,
            String prefix,
            List<String> splitNames,
            String labelColumn,
            String separator,
            Map<String, Integer> counts)
            throws IOException {
        Files.createDirectories(dir);
        List<CsvWriter> writers = new ArrayList<>();
        int[] rows = new int[3];
        try {
            for (String split : splitNames)
                writers.add(new CsvWriter(dir.resolve(prefix + split + ".csv"), List.of("id", "text", labelColumn)));
            for (Admission a : admissions) {
                double u = new SplittableRandom(s.seed() * 31 + Long.parseLong(a.subjectId())).nextDouble();
                int split = u < 0.7 ? 0 : u < 0.8 ? 1 : 2;
                writers.get(split).row(List.of(a.hadmId(), a.admissionNote(), String.join(separator, a.labels(task))));
                rows[split]++;
            }
        } finally {
            for (CsvWriter w : writers) w.close();
        }
        for (int i = 0; i < 3; i++) counts.put(dir.getFileName() + "/" + prefix + splitNames.get(i) + ".csv", rows[i]);
    }

    private void plant(SplittableRandom r, List<String> cues, String cue, boolean trueLabel) {
        // At signal 0 a cue is as likely for a false label as for a true one (chance); at 1 it marks exactly the true
        // labels.
        double base = 0.1;
        if (r.nextDouble() < (trueLabel ? base + (1 - base) * s.signal() : base * (1 - s.signal()))) cues.add(cue);
    }

    /** Each code of the cluster with probability p, and at least {@code min} of them. */
    private static TreeSet<String> pick(SplittableRandom r, String[][] cluster, double p, int min) {
        TreeSet<String> out = new TreeSet<>();
        for (String[] c : cluster) if (r.nextDouble() < p) out.add(c[0]);
        while (out.size() < min) out.add(cluster[r.nextInt(cluster.length)][0]);
        return out;
    }

    private static <T> void shuffle(SplittableRandom r, List<T> xs) {
        for (int i = xs.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            T t = xs.get(i);
            xs.set(i, xs.get(j));
            xs.set(j, t);
        }
    }

    /**
     * Writes {@code synthetic_discharge.csv.gz} and {@code synthetic_radiology.csv.gz} (MIMIC-IV-Note columns) and
     * {@code synthetic_<task>.csv} for the five tasks (id, subject_id, text = admission note, label or labels), plus
     * SYNTHETIC.md. Returns counts by file.
     */
    public Map<String, Integer> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Admission> admissions = admissions();
        Map<String, Integer> counts = new LinkedHashMap<>();
        int ds = 0, rr = 0;
        try (CsvWriter d = new CsvWriter(dir.resolve("synthetic_discharge.csv.gz"), NoteFiles.MIMIC_COLUMNS);
                CsvWriter rad = new CsvWriter(dir.resolve("synthetic_radiology.csv.gz"), NoteFiles.MIMIC_COLUMNS)) {
            for (Admission a : admissions) {
                d.row(List.of(
                        a.subjectId() + "-DS-" + a.hadmId(),
                        a.subjectId(),
                        a.hadmId(),
                        "DS",
                        "1",
                        "",
                        "",
                        a.dischargeSummary()));
                ds++;
                for (int i = 0; i < a.radiology().size(); i++) {
                    rad.row(List.of(
                            a.subjectId() + "-RR-" + a.hadmId() + "-" + (i + 1),
                            a.subjectId(),
                            a.hadmId(),
                            "RR",
                            String.valueOf(i + 1),
                            "",
                            "",
                            a.radiology().get(i)));
                    rr++;
                }
            }
        }
        counts.put("synthetic_discharge.csv.gz", ds);
        counts.put("synthetic_radiology.csv.gz", rr);
        for (Task t : TASKS) {
            String file = "synthetic_" + t.name() + ".csv";
            try (CsvWriter w = new CsvWriter(
                    dir.resolve(file), List.of("id", "subject_id", "text", t.multilabel() ? "labels" : "label"))) {
                for (Admission a : admissions)
                    w.row(List.of(a.hadmId(), a.subjectId(), a.admissionNote(), String.join(";", a.labels(t.name()))));
            }
            counts.put(file, admissions.size());
        }
        Files.writeString(
                dir.resolve("SYNTHETIC.md"),
                "# Synthetic data\n\nEvery file here was made up by `./clinlora synth-notes` "
                        + "(patients " + s.patients() + ", signal " + s.signal() + ", seed " + s.seed()
                        + "). It is not real patient data; "
                        + "every note starts with \"" + MARK
                        + "\".\n\nTasks: los (4 classes), mor, pmv (binary), diag, proc "
                        + "(multilabel ICD-9-like codes, ';'-separated).\n");
        return counts;
    }
}
