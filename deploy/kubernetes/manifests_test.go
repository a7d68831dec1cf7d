// Package kubernetes_test checks the Kubernetes form of a sharded run
// (the manifests in this directory and merge/, and the Prometheus job that
// scrapes the shards): every manifest decodes strictly with the Kubernetes
// API types, so a misspelt or misplaced field fails here rather than being
// dropped by the API server, and the manifests agree with each other on
// what makes the run one run: N, the epoch, the target, the shared results
// directory, the metrics port.
package kubernetes_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kustomizationDirs are the kustomizations of a run, in the order they are
// applied: the shards, then (once they have finished) the merge.
var kustomizationDirs = []string{".", "merge"}

const (
	prometheusConfig = "../prometheus/prometheus.yml"
	imageName        = "mcpstress" // the image Dockerfile builds, as the manifests name it
)

// The environment of a shard (package shard) and of the suites.
const (
	shardsEnv    = "MCPSTRESS_SHARDS"
	shardEnv     = "MCPSTRESS_SHARD"
	jobIndexEnv  = "JOB_COMPLETION_INDEX"
	epochEnv     = "MCPSTRESS_EPOCH"
	shardDirEnv  = "MCPSTRESS_SHARD_DIR"
	targetEnv    = "MCP_TARGET"
	modeEnv      = "STRESS_TEST_MODE"
	reportDirEnv = "MCPSTRESS_REPORT_DIR"
)

// strictDecoder decodes the API objects the manifests use (core/v1 and
// batch/v1) strictly: an unknown field, a field in the wrong case and a
// duplicated field are errors, as with kubectl's server-side field
// validation, and an unregistered kind is an error too.
func strictDecoder(t testing.TB) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// decodeAll decodes every YAML document of data; documents holding only
// comments are skipped.
func decodeAll(dec runtime.Decoder, data []byte) ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for i := 0; ; i++ {
		doc, err := r.Read()
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if blankYAML(doc) {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		objs = append(objs, obj)
	}
}

func blankYAML(doc []byte) bool {
	for line := range strings.Lines(string(doc)) {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// decodeStrict decodes YAML into a local struct: unknown fields (in the
// struct's exact case) and duplicate keys are errors. The struct models
// what the file uses; a field it does not model fails too, so whoever adds
// one to the file adds it here.
func decodeStrict(data []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, v, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// kustomization is the part of kustomize's Kustomization the manifests use.
type kustomization struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Resources  []string         `json:"resources"`
	Images     []kustomizeImage `json:"images,omitempty"`
}

type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// ref is the image reference kustomize makes of name.
func (k kustomization) ref(name string) (string, bool) {
	for _, im := range k.Images {
		if im.Name != name {
			continue
		}
		ref := cmp(im.NewName, name)
		if im.Digest != "" {
			return ref + "@" + im.Digest, true
		}
		if im.NewTag != "" {
			ref += ":" + im.NewTag
		}
		return ref, true
	}
	return name, false
}

func cmp(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// run is every object of the deployment, found by role.
type run struct {
	kustomizations map[string]kustomization // by directory
	files          map[string][]runtime.Object
	config         *corev1.ConfigMap
	claim          *corev1.PersistentVolumeClaim
	service        *corev1.Service
	shards         *batchv1.Job // app.kubernetes.io/component: shard
	merge          *batchv1.Job // app.kubernetes.io/component: merge
	reader         *corev1.Pod
}

// loadRun decodes every kustomization and every resource it lists,
// strictly, and sorts the objects by role.
func loadRun(t *testing.T) *run {
	t.Helper()
	dec := strictDecoder(t)
	r := &run{kustomizations: map[string]kustomization{}, files: map[string][]runtime.Object{}}
	for _, dir := range kustomizationDirs {
		kpath := filepath.Join(dir, "kustomization.yaml")
		b, err := os.ReadFile(kpath)
		if err != nil {
			t.Fatal(err)
		}
		var k kustomization
		if err := decodeStrict(b, &k); err != nil {
			t.Fatalf("%s: %v", kpath, err)
		}
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			t.Errorf("%s: apiVersion %q kind %q, want kustomize.config.k8s.io/v1beta1 Kustomization", kpath, k.APIVersion, k.Kind)
		}
		r.kustomizations[dir] = k
		for _, res := range k.Resources {
			p := filepath.Join(dir, res)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%s lists %s: %v", kpath, res, err)
			}
			objs, err := decodeAll(dec, b)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if len(objs) == 0 {
				t.Errorf("%s: no object", p)
			}
			r.files[p] = objs
			for _, o := range objs {
				r.add(t, p, o)
			}
		}
	}
	for what, missing := range map[string]bool{
		"ConfigMap": r.config == nil, "PersistentVolumeClaim": r.claim == nil, "Service": r.service == nil,
		"shards Job": r.shards == nil, "merge Job": r.merge == nil, "results reader Pod": r.reader == nil,
	} {
		if missing {
			t.Fatalf("no %s among the kustomizations' resources", what)
		}
	}
	return r
}

func (r *run) add(t *testing.T, file string, o runtime.Object) {
	t.Helper()
	set := func(first bool) {
		if !first {
			t.Fatalf("%s: a second %T", file, o)
		}
	}
	switch o := o.(type) {
	case *corev1.ConfigMap:
		set(r.config == nil)
		r.config = o
	case *corev1.PersistentVolumeClaim:
		set(r.claim == nil)
		r.claim = o
	case *corev1.Service:
		set(r.service == nil)
		r.service = o
	case *corev1.Pod:
		set(r.reader == nil)
		r.reader = o
	case *batchv1.Job:
		switch c := o.Spec.Template.Labels["app.kubernetes.io/component"]; c {
		case "shard":
			set(r.shards == nil)
			r.shards = o
		case "merge":
			set(r.merge == nil)
			r.merge = o
		default:
			t.Fatalf("%s: Job %s with pod label app.kubernetes.io/component %q: want shard or merge", file, o.Name, c)
		}
	default:
		t.Fatalf("%s: unexpected %T", file, o)
	}
}

// shardCount is the shards Job's MCPSTRESS_SHARDS.
func (r *run) shardCount(t *testing.T) int {
	t.Helper()
	c := onlyContainer(t, r.shards)
	v, ok := r.envValue(t, c, shardsEnv)
	if !ok {
		t.Fatalf("shard container %s has no %s", c.Name, shardsEnv)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a whole number ≥ 1", shardsEnv, v)
	}
	return n
}

// envValue resolves a container's variable: a literal value, or a key of
// the run's ConfigMap (which must exist).
func (r *run) envValue(t *testing.T, c corev1.Container, name string) (string, bool) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name != name {
			continue
		}
		if e.ValueFrom == nil {
			return e.Value, true
		}
		ref := e.ValueFrom.ConfigMapKeyRef
		if ref == nil {
			t.Fatalf("container %s: %s comes from neither a value nor the run's ConfigMap", c.Name, name)
		}
		if ref.Name != r.config.Name {
			t.Fatalf("container %s: %s from ConfigMap %q, not the run's %q", c.Name, name, ref.Name, r.config.Name)
		}
		if ref.Optional != nil && *ref.Optional {
			t.Errorf("container %s: %s is optional: a shard without it must not start", c.Name, name)
		}
		v, ok := r.config.Data[ref.Key]
		if !ok {
			t.Fatalf("container %s: %s from key %q, which ConfigMap %s does not have", c.Name, name, ref.Key, r.config.Name)
		}
		return v, true
	}
	return "", false
}

func onlyContainer(t *testing.T, j *batchv1.Job) corev1.Container {
	t.Helper()
	cs := j.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("Job %s has %d containers, want 1", j.Name, len(cs))
	}
	return cs[0]
}

// claimMount is where container c mounts the run's results claim.
func (r *run) claimMount(t *testing.T, spec corev1.PodSpec, c corev1.Container) corev1.VolumeMount {
	t.Helper()
	var vol string
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == r.claim.Name {
			vol = v.Name
		}
	}
	if vol == "" {
		t.Fatalf("no volume of container %s's pod is the claim %s", c.Name, r.claim.Name)
	}
	for _, m := range c.VolumeMounts {
		if m.Name == vol {
			if m.SubPath != "" || m.SubPathExpr != "" {
				t.Errorf("container %s mounts a sub-path of the claim (%q%q): every pod must see the one directory", c.Name, m.SubPath, m.SubPathExpr)
			}
			return m
		}
	}
	t.Fatalf("container %s does not mount volume %s (claim %s)", c.Name, vol, r.claim.Name)
	return corev1.VolumeMount{}
}

func TestEveryManifestDecodesStrictly(t *testing.T) {
	r := loadRun(t)
	listed := map[string]bool{}
	for p, objs := range r.files {
		listed[filepath.Clean(p)] = true
		for _, o := range objs {
			m, ok := o.(interface{ GetNamespace() string })
			if ok && m.GetNamespace() != "" {
				t.Errorf("%s: names namespace %q: the manifests are namespace-agnostic (kubectl -n)", p, m.GetNamespace())
			}
		}
	}
	t.Run("every manifest belongs to a kustomization", func(t *testing.T) {
		for _, dir := range kustomizationDirs {
			files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if filepath.Base(f) != "kustomization.yaml" && !listed[filepath.Clean(f)] {
					t.Errorf("%s is in no kustomization's resources: kubectl apply -k would leave it out", f)
				}
			}
		}
	})
}

// TestStrictDecodingRejectsMisspelledFields is the negative control: the
// decoder the other tests trust must refuse a Job manifest with a field the
// API does not have, or has under another spelling or case.
func TestStrictDecodingRejectsMisspelledFields(t *testing.T) {
	const file = "shards-job.yaml"
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := strictDecoder(t)
	if _, err := decodeAll(dec, orig); err != nil {
		t.Fatalf("%s as it is: %v", file, err)
	}
	for _, tc := range []struct {
		name, old, new, wantInErr string
	}{
		{"a misspelt spec field", "  completionMode: Indexed", "  completionsMode: Indexed", "completionsMode"},
		{"a spec field in the wrong case", "  completionMode: Indexed", "  CompletionMode: Indexed", "CompletionMode"},
		{"a misspelt field deep in the pod template", "              mountPath: /results", "              mountpath: /results", "mountpath"},
		{"a field at the wrong level", "  completionMode: Indexed", "  completionMode: Indexed\n  restartPolicy: Never", "restartPolicy"},
		{"a duplicated field", "  completionMode: Indexed", "  completionMode: Indexed\n  completionMode: NonIndexed", "completionMode"},
	} {
		t.Run(tc.name+" fails", func(t *testing.T) {
			bad := strings.Replace(string(orig), tc.old, tc.new, 1)
			if bad == string(orig) {
				t.Fatalf("%s has no %q to change: update the control", file, tc.old)
			}
			_, err := decodeAll(dec, []byte(bad))
			if err == nil {
				t.Fatalf("the decoder accepted %s with %q: it is not strict", file, strings.TrimSpace(tc.new))
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not name %q", err, tc.wantInErr)
			}
			t.Logf("rejected as it should be: %v", err)
		})
	}
	t.Run("an unknown kind fails", func(t *testing.T) {
		bad := strings.Replace(string(orig), "kind: Job", "kind: Jobs", 1)
		if _, err := decodeAll(dec, []byte(bad)); err == nil {
			t.Fatal("the decoder accepted kind Jobs")
		}
	})
	t.Run("a misspelt field in a local-struct file fails", func(t *testing.T) {
		var k kustomization
		if err := decodeStrict([]byte("apiVersion: v1\nkind: Kustomization\nresource: [a.yaml]\n"), &k); err == nil {
			t.Fatal("decodeStrict accepted resource: for resources:")
		}
	})
}

func TestShardsJobRunsEverySliceAtOnce(t *testing.T) {
	r := loadRun(t)
	j := r.shards
	n := r.shardCount(t)
	if j.Spec.CompletionMode == nil || *j.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed: the pods take their slice from JOB_COMPLETION_INDEX", deref(j.Spec.CompletionMode))
	}
	if j.Spec.Completions == nil || int(*j.Spec.Completions) != n {
		t.Errorf("completions %v, want %s = %d", deref(j.Spec.Completions), shardsEnv, n)
	}
	if j.Spec.Parallelism == nil || int(*j.Spec.Parallelism) != n {
		t.Errorf("parallelism %v, want %s = %d: every slice runs at the same time", deref(j.Spec.Parallelism), shardsEnv, n)
	}
	if j.Spec.BackoffLimitPerIndex == nil || *j.Spec.BackoffLimitPerIndex != 0 {
		t.Errorf("backoffLimitPerIndex %v, want 0: a retried shard starts after the epoch, and one failure must not stop the others", deref(j.Spec.BackoffLimitPerIndex))
	}
	if p := j.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q, want Never", p)
	}
	for _, c := range j.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == shardEnv || e.Name == jobIndexEnv {
				t.Errorf("container %s sets %s: the Job controller gives each pod its index (JOB_COMPLETION_INDEX)", c.Name, e.Name)
			}
		}
	}
}

func TestShardContainersGetTheRunEnvironment(t *testing.T) {
	r := loadRun(t)
	spec := r.shards.Spec.Template.Spec
	if len(spec.Containers) == 0 {
		t.Fatal("no shard container")
	}
	for _, c := range spec.Containers {
		t.Run(c.Name, func(t *testing.T) {
			vals := map[string]string{}
			for _, name := range []string{shardsEnv, epochEnv, shardDirEnv, targetEnv, modeEnv} {
				v, ok := r.envValue(t, c, name)
				if !ok {
					t.Errorf("no %s", name)
				}
				vals[name] = strings.TrimSpace(v)
			}
			if _, err := time.Parse(time.RFC3339Nano, vals[epochEnv]); err != nil {
				t.Errorf("%s=%q is not RFC 3339: %v", epochEnv, vals[epochEnv], err)
			}
			if tg := vals[targetEnv]; !strings.HasPrefix(tg, "tcp://") && !strings.HasPrefix(tg, "http://") && !strings.HasPrefix(tg, "https://") {
				t.Errorf("%s=%q: want one shared server, tcp:// or http(s):// (empty or stdio: would start a server per shard)", targetEnv, tg)
			}
			if m := vals[modeEnv]; !slices.Contains([]string{"quick", "demo", "short", "extended"}, m) {
				t.Errorf("%s=%q: want quick, demo, short or extended", modeEnv, m)
			}
			dir := vals[shardDirEnv]
			m := r.claimMount(t, spec, c)
			if path.Clean(m.MountPath) != path.Clean(dir) {
				t.Errorf("%s=%q but the claim %s is mounted at %q", shardDirEnv, dir, r.claim.Name, m.MountPath)
			}
			if m.ReadOnly {
				t.Errorf("the claim is mounted read-only: the shard writes its results there")
			}
			// Every shard writes report.json & co. under the same names: in
			// the shared directory they would overwrite each other.
			if rd, ok := r.envValue(t, c, reportDirEnv); !ok {
				t.Errorf("no %s: the shard's own reports would go to the working directory", reportDirEnv)
			} else if within(rd, dir) {
				t.Errorf("%s=%q is inside %s=%q, which every shard shares", reportDirEnv, rd, shardDirEnv, dir)
			}
		})
	}
	if !slices.Contains(r.claim.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("claim %s has access modes %v, want ReadWriteMany: shards on several nodes write to it at once", r.claim.Name, r.claim.Spec.AccessModes)
	}
}

func within(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func TestMergeJobMergesTheShardsDirectory(t *testing.T) {
	r := loadRun(t)
	shard := onlyContainer(t, r.shards)
	dir, _ := r.envValue(t, shard, shardDirEnv)
	c := onlyContainer(t, r.merge)
	m := r.claimMount(t, r.merge.Spec.Template.Spec, c)
	if m.ReadOnly {
		t.Error("the merge mounts the claim read-only: it writes the merged reports there")
	}
	argv := append(slices.Clone(c.Command), c.Args...)
	if len(argv) < 2 || path.Base(argv[0]) != "mcpstress-merge" {
		t.Fatalf("merge runs %q, want mcpstress-merge … DIR", argv)
	}
	if got := argv[len(argv)-1]; path.Clean(got) != path.Clean(m.MountPath) || path.Clean(got) != path.Clean(dir) {
		t.Errorf("merge reads %q; the claim is mounted at %q and the shards write to %s=%q", got, m.MountPath, shardDirEnv, dir)
	}
	n := r.shardCount(t)
	for _, a := range argv[1 : len(argv)-1] {
		if v, ok := strings.CutPrefix(a, "-expect="); ok && v != strconv.Itoa(n) {
			t.Errorf("merge -expect=%s but the shards job runs %d shards", v, n)
		}
	}
	if b := r.merge.Spec.BackoffLimit; b == nil || *b != 0 {
		t.Errorf("merge backoffLimit %v, want 0: a retried merge gives the same verdict", deref(b))
	}
	if p := r.merge.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever {
		t.Errorf("merge restartPolicy %q, want Never", p)
	}
	t.Run("the shards and the merge run the same image", func(t *testing.T) {
		var refs []string
		for _, dir := range kustomizationDirs {
			ref, ok := r.kustomizations[dir].ref(imageName)
			if !ok {
				t.Errorf("%s/kustomization.yaml sets no image for %q", dir, imageName)
			}
			refs = append(refs, ref)
		}
		if uniq := slices.Compact(slices.Sorted(slices.Values(refs))); len(uniq) != 1 {
			t.Errorf("the kustomizations make %q of %q: the merge must read what this very build of the shards wrote", refs, imageName)
		}
		for _, j := range []*batchv1.Job{r.shards, r.merge} {
			if img := onlyContainer(t, j).Image; img != imageName {
				t.Errorf("Job %s runs image %q, want %q (set by the kustomizations' images)", j.Name, img, imageName)
			}
		}
	})
}

func TestEveryContainerHasResourceLimits(t *testing.T) {
	r := loadRun(t)
	specs := map[string]corev1.PodSpec{
		"Job " + r.shards.Name: r.shards.Spec.Template.Spec,
		"Job " + r.merge.Name:  r.merge.Spec.Template.Spec,
		"Pod " + r.reader.Name: r.reader.Spec,
	}
	for owner, spec := range specs {
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				lim, req := c.Resources.Limits[res], c.Resources.Requests[res]
				if lim.IsZero() || req.IsZero() {
					t.Errorf("%s container %s: %s request %v limit %v, want both set", owner, c.Name, res, req.String(), lim.String())
				} else if req.Cmp(lim) > 0 {
					t.Errorf("%s container %s: %s request %v above its limit %v", owner, c.Name, res, req.String(), lim.String())
				}
			}
		}
	}
	// A throttled or starved load generator sends late and measures itself.
	for _, c := range r.shards.Spec.Template.Spec.Containers {
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			lim, req := c.Resources.Limits[res], c.Resources.Requests[res]
			if req.Cmp(lim) != 0 {
				t.Errorf("shard container %s: %s request %v ≠ limit %v: want Guaranteed QoS", c.Name, res, req.String(), lim.String())
			}
		}
	}
}

// metricsPort is the shard container's port named "metrics", checked
// against the exporter's flags and the scrape annotation.
func metricsPort(t *testing.T, r *run) int32 {
	t.Helper()
	c := onlyContainer(t, r.shards)
	var port int32
	for _, p := range c.Ports {
		if p.Name == "metrics" {
			port = p.ContainerPort
		}
	}
	if port == 0 {
		t.Fatalf("shard container %s has no port named metrics", c.Name)
	}
	args := append(slices.Clone(c.Command), c.Args...)
	addr, ok := flagValue(args, "prometheus-addr")
	if !slices.Contains(args, "-prometheus") && !slices.Contains(args, "--prometheus") {
		t.Errorf("shard args %q have no -prometheus: no metrics are served", args)
	}
	if !ok {
		t.Fatalf("shard args %q have no -prometheus-addr: the exporter listens on 127.0.0.1, out of Prometheus's reach", args)
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("-prometheus-addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		t.Errorf("-prometheus-addr %q listens on loopback only", addr)
	}
	if p != strconv.Itoa(int(port)) {
		t.Errorf("-prometheus-addr %q but the metrics port is %d", addr, port)
	}
	if a := r.shards.Spec.Template.Annotations["prometheus.io/port"]; a != "" && a != strconv.Itoa(int(port)) {
		t.Errorf("annotation prometheus.io/port %q but the metrics port is %d", a, port)
	}
	return port
}

// flagValue finds -name=value, --name=value or -name value in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		for _, p := range []string{"-" + name, "--" + name} {
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v, true
			}
			if a == p && i+1 < len(args) {
				return args[i+1], true
			}
		}
	}
	return "", false
}

func TestShardMetricsPortIsServedAndNamed(t *testing.T) {
	r := loadRun(t)
	port := metricsPort(t, r)
	svc := r.service
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service %s clusterIP %q, want None (headless: one address per shard)", svc.Name, svc.Spec.ClusterIP)
	}
	tmpl := r.shards.Spec.Template
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(tmpl.Labels)) {
		t.Errorf("Service %s selector %v does not select the shard pods %v", svc.Name, svc.Spec.Selector, tmpl.Labels)
	}
	if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(r.merge.Spec.Template.Labels)) {
		t.Errorf("Service %s selects the merge pod too", svc.Name)
	}
	found := false
	for _, p := range svc.Spec.Ports {
		tp := p.TargetPort
		if p.Name == "metrics" && (tp.StrVal == "metrics" || tp.IntValue() == int(port) || (tp.String() == "0" && p.Port == port)) {
			found = true
		}
	}
	if !found {
		t.Errorf("Service %s has no port named metrics targeting the shards' metrics port %d", svc.Name, port)
	}
	if tmpl.Spec.Subdomain != svc.Name {
		t.Errorf("shard pods' subdomain %q, want the headless Service %q for per-shard DNS names", tmpl.Spec.Subdomain, svc.Name)
	}
}

// TestKustomizeBuildDecodesStrictly renders each kustomization with
// kubectl (as kubectl apply -k does) and decodes the result strictly.
func TestKustomizeBuildDecodesStrictly(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: the kustomize rendering is not checked")
	}
	r := loadRun(t)
	dec := strictDecoder(t)
	for _, dir := range kustomizationDirs {
		t.Run(dir, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command(kubectl, "kustomize", dir)
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.Bytes())
			}
			objs, err := decodeAll(dec, out)
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v", dir, err)
			}
			want := 0
			for _, res := range r.kustomizations[dir].Resources {
				want += len(r.files[filepath.Join(dir, res)])
			}
			if len(objs) != want {
				t.Errorf("kubectl kustomize %s gave %d objects, want %d", dir, len(objs), want)
			}
			ref, _ := r.kustomizations[dir].ref(imageName)
			for _, o := range objs {
				if j, ok := o.(*batchv1.Job); ok {
					if img := onlyContainer(t, j).Image; img != ref {
						t.Errorf("rendered Job %s runs %q, want %q", j.Name, img, ref)
					}
				}
			}
		})
	}
}

// ---- The Prometheus job that scrapes the shards ----

// promConfig is the part of Prometheus's configuration that
// deploy/prometheus/prometheus.yml uses.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval,omitempty"`
		ScrapeTimeout      string `json:"scrape_timeout,omitempty"`
		EvaluationInterval string `json:"evaluation_interval,omitempty"`
	} `json:"global"`
	ScrapeConfigs []promScrapeConfig `json:"scrape_configs"`
}

type promScrapeConfig struct {
	JobName       string `json:"job_name"`
	MetricsPath   string `json:"metrics_path,omitempty"`
	StaticConfigs []struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels,omitempty"`
	} `json:"static_configs,omitempty"`
	KubernetesSDConfigs []struct {
		Role       string `json:"role"`
		Namespaces *struct {
			Names        []string `json:"names,omitempty"`
			OwnNamespace bool     `json:"own_namespace,omitempty"`
		} `json:"namespaces,omitempty"`
		Selectors []struct {
			Role  string `json:"role"`
			Label string `json:"label,omitempty"`
			Field string `json:"field,omitempty"`
		} `json:"selectors,omitempty"`
	} `json:"kubernetes_sd_configs,omitempty"`
	RelabelConfigs []relabelConfig `json:"relabel_configs,omitempty"`
}

type relabelConfig struct {
	SourceLabels []string `json:"source_labels,omitempty"`
	Separator    *string  `json:"separator,omitempty"`
	Regex        *string  `json:"regex,omitempty"`
	TargetLabel  string   `json:"target_label,omitempty"`
	Replacement  *string  `json:"replacement,omitempty"`
	Action       string   `json:"action,omitempty"`
}

// relabel applies cfgs to a target's labels as Prometheus does for the
// actions keep, drop and replace (anchored regexes, ";" separator, "$1"
// replacement by default; an empty result deletes the label). It returns
// false when the target is dropped, and an error for an action it does not
// model.
func relabel(lset map[string]string, cfgs []relabelConfig) (map[string]string, bool, error) {
	out := map[string]string{}
	for k, v := range lset {
		out[k] = v
	}
	for i, c := range cfgs {
		sep, re, repl := ";", "(.*)", "$1"
		if c.Separator != nil {
			sep = *c.Separator
		}
		if c.Regex != nil {
			re = *c.Regex
		}
		if c.Replacement != nil {
			repl = *c.Replacement
		}
		rx, err := regexp.Compile("^(?:" + re + ")$")
		if err != nil {
			return nil, false, fmt.Errorf("relabel_configs[%d]: %w", i, err)
		}
		var vals []string
		for _, l := range c.SourceLabels {
			vals = append(vals, out[l])
		}
		val := strings.Join(vals, sep)
		switch strings.ToLower(cmp(c.Action, "replace")) {
		case "keep":
			if !rx.MatchString(val) {
				return nil, false, nil
			}
		case "drop":
			if rx.MatchString(val) {
				return nil, false, nil
			}
		case "replace":
			if c.TargetLabel == "" || strings.Contains(c.TargetLabel, "$") {
				return nil, false, fmt.Errorf("relabel_configs[%d]: target_label %q: not modelled here", i, c.TargetLabel)
			}
			m := rx.FindStringSubmatchIndex(val)
			if m == nil {
				continue
			}
			if res := string(rx.ExpandString(nil, repl, val, m)); res == "" {
				delete(out, c.TargetLabel)
			} else {
				out[c.TargetLabel] = res
			}
		default:
			return nil, false, fmt.Errorf("relabel_configs[%d]: action %q is not modelled by this test: extend relabel", i, c.Action)
		}
	}
	return out, true, nil
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// podTargets is what Prometheus's Kubernetes SD (role: pod) makes of a
// pod: one target per declared container port, with the pod's metadata as
// __meta_kubernetes_* labels.
func podTargets(namespace, name, ip, phase string, podLabels, annotations map[string]string, spec corev1.PodSpec) []map[string]string {
	base := map[string]string{
		"__meta_kubernetes_namespace": namespace,
		"__meta_kubernetes_pod_name":  name,
		"__meta_kubernetes_pod_ip":    ip,
		"__meta_kubernetes_pod_phase": phase,
		"__meta_kubernetes_pod_ready": strconv.FormatBool(phase == "Running"),
	}
	for k, v := range podLabels {
		k = invalidLabelChars.ReplaceAllString(k, "_")
		base["__meta_kubernetes_pod_label_"+k] = v
		base["__meta_kubernetes_pod_labelpresent_"+k] = "true"
	}
	for k, v := range annotations {
		k = invalidLabelChars.ReplaceAllString(k, "_")
		base["__meta_kubernetes_pod_annotation_"+k] = v
		base["__meta_kubernetes_pod_annotationpresent_"+k] = "true"
	}
	var out []map[string]string
	for _, c := range spec.Containers {
		ports := c.Ports
		if len(ports) == 0 {
			ports = []corev1.ContainerPort{{}} // a target without a port
		}
		for _, p := range ports {
			t := map[string]string{}
			for k, v := range base {
				t[k] = v
			}
			t["__meta_kubernetes_pod_container_name"] = c.Name
			t["__meta_kubernetes_pod_container_init"] = "false"
			t["__address__"] = ip
			if p.ContainerPort != 0 {
				t["__address__"] = net.JoinHostPort(ip, strconv.Itoa(int(p.ContainerPort)))
				t["__meta_kubernetes_pod_container_port_name"] = p.Name
				t["__meta_kubernetes_pod_container_port_number"] = strconv.Itoa(int(p.ContainerPort))
				t["__meta_kubernetes_pod_container_port_protocol"] = cmp(string(p.Protocol), "TCP")
			}
			out = append(out, t)
		}
	}
	return out
}

// jobPod is pod index i of Job j as the Job controller makes it: the
// template's labels and annotations plus the controller's own.
func jobPod(j *batchv1.Job, i int) (name string, podLabels, annotations map[string]string) {
	podLabels = map[string]string{
		batchv1.JobNameLabel:       j.Name,
		"job-name":                 j.Name,
		batchv1.ControllerUidLabel: "4f6a2d8e-0000-4000-8000-000000000000",
		"controller-uid":           "4f6a2d8e-0000-4000-8000-000000000000",
	}
	annotations = map[string]string{}
	for k, v := range j.Spec.Template.Labels {
		podLabels[k] = v
	}
	for k, v := range j.Spec.Template.Annotations {
		annotations[k] = v
	}
	if j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == batchv1.IndexedCompletion {
		podLabels[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(i)
		annotations[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(i)
		return fmt.Sprintf("%s-%d-x7k2p", j.Name, i), podLabels, annotations
	}
	return j.Name + "-x7k2p", podLabels, annotations
}

// TestPrometheusScrapesEveryShard runs the Prometheus job's relabelling
// over the pods a sharded run makes (as the pod-role SD lists them) and
// checks that exactly the shards' metrics ports remain, one target each.
func TestPrometheusScrapesEveryShard(t *testing.T) {
	r := loadRun(t)
	port := metricsPort(t, r)
	n := r.shardCount(t)
	b, err := os.ReadFile(prometheusConfig)
	if err != nil {
		t.Fatal(err)
	}
	var cfg promConfig
	if err := decodeStrict(b, &cfg); err != nil {
		t.Fatalf("%s: %v", prometheusConfig, err)
	}
	names := map[string]bool{}
	var jobs []promScrapeConfig
	for _, sc := range cfg.ScrapeConfigs {
		if names[sc.JobName] {
			t.Errorf("%s: job_name %q twice", prometheusConfig, sc.JobName)
		}
		names[sc.JobName] = true
		for _, sd := range sc.KubernetesSDConfigs {
			if sd.Role == "pod" {
				jobs = append(jobs, sc)
				break
			}
		}
	}
	if !names["mcpstress"] {
		t.Errorf("%s: the static mcpstress job (one machine) is gone", prometheusConfig)
	}
	if len(jobs) != 1 {
		t.Fatalf("%s: %d jobs with kubernetes_sd_configs role pod, want 1", prometheusConfig, len(jobs))
	}
	job := jobs[0]

	t.Run("the SD selectors ask for the shard pods", func(t *testing.T) {
		for _, sd := range job.KubernetesSDConfigs {
			for _, s := range sd.Selectors {
				if s.Role != "pod" {
					t.Errorf("selector for role %q in a role pod SD", s.Role)
				}
				if s.Label == "" {
					continue
				}
				sel, err := labels.Parse(s.Label)
				if err != nil {
					t.Fatalf("selector label %q: %v", s.Label, err)
				}
				_, shardLabels, _ := jobPod(r.shards, 0)
				if !sel.Matches(labels.Set(shardLabels)) {
					t.Errorf("selector %q does not match the shard pods' labels %v", s.Label, shardLabels)
				}
				if _, mergeLabels, _ := jobPod(r.merge, 0); sel.Matches(labels.Set(mergeLabels)) {
					t.Errorf("selector %q matches the merge pod", s.Label)
				}
			}
		}
	})

	scrape := func(t *testing.T, name, phase string, podLabels, ann map[string]string, spec corev1.PodSpec) []map[string]string {
		t.Helper()
		var kept []map[string]string
		for _, tg := range podTargets("loadtest", name, "10.1.2.3", phase, podLabels, ann, spec) {
			out, ok, err := relabel(tg, job.RelabelConfigs)
			if err != nil {
				t.Fatalf("job %s: %v", job.JobName, err)
			}
			if ok {
				kept = append(kept, out)
			}
		}
		return kept
	}
	t.Run("every running shard is one target on its metrics port", func(t *testing.T) {
		for i := range n {
			name, pl, ann := jobPod(r.shards, i)
			kept := scrape(t, name, "Running", pl, ann, r.shards.Spec.Template.Spec)
			if len(kept) != 1 {
				t.Fatalf("shard %d: %d targets, want 1: %v", i, len(kept), addresses(kept))
			}
			want := net.JoinHostPort("10.1.2.3", strconv.Itoa(int(port)))
			if got := kept[0]["__address__"]; got != want {
				t.Errorf("shard %d scraped at %s, want %s", i, got, want)
			}
			if got := kept[0]["shard"]; got != strconv.Itoa(i) {
				t.Errorf("shard %d has label shard=%q", i, got)
			}
			if got := kept[0]["pod"]; got != name {
				t.Errorf("shard %d has label pod=%q, want %q", i, got, name)
			}
		}
	})
	t.Run("finished shards, the merge and other pods are not scraped", func(t *testing.T) {
		name, pl, ann := jobPod(r.shards, 0)
		for _, phase := range []string{"Pending", "Succeeded", "Failed"} {
			if kept := scrape(t, name, phase, pl, ann, r.shards.Spec.Template.Spec); len(kept) != 0 {
				t.Errorf("a %s shard pod is scraped: %v", phase, addresses(kept))
			}
		}
		name, pl, ann = jobPod(r.merge, 0)
		if kept := scrape(t, name, "Running", pl, ann, r.merge.Spec.Template.Spec); len(kept) != 0 {
			t.Errorf("the merge pod is scraped: %v", addresses(kept))
		}
		if kept := scrape(t, r.reader.Name, "Running", r.reader.Labels, r.reader.Annotations, r.reader.Spec); len(kept) != 0 {
			t.Errorf("the results reader is scraped: %v", addresses(kept))
		}
		other := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: port}}}}}
		if kept := scrape(t, "web-0", "Running", map[string]string{"app.kubernetes.io/name": "web"}, nil, other); len(kept) != 0 {
			t.Errorf("another application's pod is scraped: %v", addresses(kept))
		}
	})
}

// addresses is what a test prints of targets: their addresses.
func addresses(targets []map[string]string) []string {
	var out []string
	for _, t := range targets {
		out = append(out, t["__address__"])
	}
	return out
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
