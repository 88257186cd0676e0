{{/*
Named templates of the Strata chart.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "strata.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name: <release>-<chart> unless the release name already contains the chart
name. Truncated to 63 characters (a DNS label); "-metrics" is appended for the metrics Service,
so the base is cut at 55.
*/}}
{{- define "strata.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "strata.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pods; never change them on upgrade. */}}
{{- define "strata.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strata.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "strata.labels" -}}
helm.sh/chart: {{ include "strata.chart" . }}
{{ include "strata.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: strata
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Name of the ServiceAccount the pods use. */}}
{{- define "strata.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "strata.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Strata image reference: repository, then @digest or :tag (the tag defaults to appVersion). */}}
{{- define "strata.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Name of the ConfigMap with Strata's plain settings. */}}
{{- define "strata.configMapName" -}}
{{- include "strata.fullname" . -}}
{{- end -}}

{{/* Name of the Secret with Strata's secrets: existingSecret, or the chart's own. */}}
{{- define "strata.secretName" -}}
{{- default (include "strata.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* Strata's secret values, as a map from variable name to value (empty values left out). */}}
{{- define "strata.secretData" -}}
{{- $data := dict -}}
{{- with .Values.strata.upstream.apiKey }}{{ $_ := set $data "STRATA_UPSTREAM_API_KEY" . }}{{ end -}}
{{- with .Values.strata.api.clientKeys }}{{ $_ := set $data "STRATA_API_CLIENT_KEYS" (join "," .) }}{{ end -}}
{{- with .Values.strata.api.adminToken }}{{ $_ := set $data "STRATA_API_ADMIN_TOKEN" . }}{{ end -}}
{{- with .Values.strata.history.token }}{{ $_ := set $data "STRATA_HISTORY_TOKEN" . }}{{ end -}}
{{- with .Values.externalDatabase.password }}{{ $_ := set $data "QUARKUS_DATASOURCE_PASSWORD" . }}{{ end -}}
{{- with .Values.externalRedis.password }}{{ $_ := set $data "QUARKUS_REDIS_PASSWORD" . }}{{ end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* "true" when the chart renders its own Secret: no existingSecret and at least one secret value. */}}
{{- define "strata.createSecret" -}}
{{- if and (not .Values.existingSecret) (ne (include "strata.secretData" .) "{}") -}}
true
{{- end -}}
{{- end -}}

{{/*
Requests and limits of the Strata container: .Values.resources when set, otherwise the preset
of image.flavor (no CPU limit in either: throttling hurts a latency-sensitive proxy more than it
protects the node).
*/}}
{{- define "strata.resources" -}}
{{- if .Values.resources -}}
{{- toYaml .Values.resources -}}
{{- else if eq .Values.image.flavor "jvm" -}}
requests:
  cpu: 100m
  memory: 256Mi
limits:
  memory: 512Mi
{{- else -}}
requests:
  cpu: 50m
  memory: 64Mi
limits:
  memory: 128Mi
{{- end -}}
{{- end -}}

{{/* One HTTP probe on the management port: (dict "probe" .Values.xProbe "path" "/q/health/x"). */}}
{{- define "strata.probe" -}}
httpGet:
  path: {{ .path }}
  port: management
{{- toYaml (omit .probe "enabled") | nindent 0 }}
{{- end -}}

{{/*
The Strata container, as one item of a container list. Other charts can include it:

  initContainers:
    {{- include "strata.container" (dict "Values" .Values.strata "Release" .Release "Chart" (dict "Name" "strata" "AppVersion" "0.1.0") "Template" .Template) | nindent 4 }}
  volumes:
    {{- include "strata.volumes" (same context) | nindent 4 }}

The context needs Values (this chart's values), Release and Chart (Name, AppVersion). The
ConfigMap and Secret it refers to are named by strata.fullname, i.e. those the Strata chart
renders when it is a dependency of the including chart. With mode "sidecar" the container
carries `restartPolicy: Always`, which makes it a native sidecar when placed in initContainers
(Kubernetes 1.29+); with mode "standalone" it is a plain container for `containers`.
*/}}
{{- define "strata.container" -}}
- name: strata
  image: {{ include "strata.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if eq .Values.mode "sidecar" }}
  restartPolicy: Always
  {{- end }}
  ports:
    - name: http
      containerPort: 8080
      protocol: TCP
    - name: management
      containerPort: 9000
      protocol: TCP
  envFrom:
    - configMapRef:
        name: {{ include "strata.configMapName" . }}
    {{- if or .Values.existingSecret (include "strata.createSecret" .) }}
    - secretRef:
        name: {{ include "strata.secretName" . }}
    {{- end }}
    {{- with .Values.extraEnvFrom }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.extraEnv }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .Values.startupProbe.enabled }}
  startupProbe:
    {{- include "strata.probe" (dict "probe" .Values.startupProbe "path" "/q/health/started") | nindent 4 }}
  {{- end }}
  {{- if .Values.livenessProbe.enabled }}
  livenessProbe:
    {{- include "strata.probe" (dict "probe" .Values.livenessProbe "path" "/q/health/live") | nindent 4 }}
  {{- end }}
  {{- if .Values.readinessProbe.enabled }}
  readinessProbe:
    {{- include "strata.probe" (dict "probe" .Values.readinessProbe "path" "/q/health/ready") | nindent 4 }}
  {{- end }}
  resources:
    {{- include "strata.resources" . | nindent 4 }}
  {{- if .Values.containerSecurityContext.enabled }}
  securityContext:
    {{- omit .Values.containerSecurityContext "enabled" | toYaml | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: strata-tmp
      mountPath: /tmp
    {{- with .Values.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* The volumes strata.container mounts, as list items. */}}
{{- define "strata.volumes" -}}
- name: strata-tmp
  {{- if .Values.tmpVolume.sizeLimit }}
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- end -}}

{{/* imagePullSecrets of the pod, or nothing. */}}
{{- define "strata.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by both modes' Deployments (from serviceAccountName down). */}}
{{- define "strata.podSettings" -}}
serviceAccountName: {{ include "strata.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
{{- include "strata.imagePullSecrets" . }}
{{- if .Values.podSecurityContext.enabled }}
securityContext:
  {{- omit .Values.podSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod template annotations: config checksums (a change rolls the pods) and podAnnotations. */}}
{{- define "strata.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Checks across values that the schema cannot express with a clear message. */}}
{{- define "strata.validateValues" -}}
{{- if and .Values.createDeployment (eq .Values.mode "sidecar") -}}
{{- if not (and .Values.app.image.repository .Values.app.image.tag) -}}
{{- fail "mode=sidecar needs the application image: set app.image.repository and app.image.tag" -}}
{{- end -}}
{{- if has (int .Values.app.port) (list 8080 9000) -}}
{{- fail "app.port cannot be 8080 or 9000: Strata listens on them inside the pod" -}}
{{- end -}}
{{- if .Values.pdb.enabled -}}
{{- fail "pdb.enabled is for mode=standalone; in sidecar mode give the application's own chart its PodDisruptionBudget" -}}
{{- end -}}
{{- if .Values.autoscaling.hpa.enabled -}}
{{- fail "autoscaling.hpa.enabled is for mode=standalone; in sidecar mode scale the application with its own HorizontalPodAutoscaler" -}}
{{- end -}}
{{- end -}}
{{- if and (ne (toString .Values.pdb.minAvailable) "") (ne (toString .Values.pdb.maxUnavailable) "") -}}
{{- fail "set pdb.minAvailable or pdb.maxUnavailable, not both" -}}
{{- end -}}
{{- if and (eq .Values.strata.upstream.authMode "replace") (not .Values.strata.upstream.apiKey) (not .Values.existingSecret) -}}
{{- fail "strata.upstream.authMode=replace needs strata.upstream.apiKey (or existingSecret with STRATA_UPSTREAM_API_KEY)" -}}
{{- end -}}
{{- if and .Values.autoscaling.hpa.enabled (eq (toString .Values.autoscaling.hpa.targetCPU) "") (eq (toString .Values.autoscaling.hpa.targetMemory) "") -}}
{{- fail "autoscaling.hpa needs targetCPU or targetMemory" -}}
{{- end -}}
{{- end -}}
