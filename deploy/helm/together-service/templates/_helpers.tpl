{{/* The service's name, checked: every resource is named after it. */}}
{{- define "together.service" -}}
{{- $known := list "registration" "matching" "pairing" "scheduling" "notifications" -}}
{{- if not (has .Values.service $known) -}}
{{- fail (printf "service must be one of %s, not %q" (join ", " $known) .Values.service) -}}
{{- end -}}
{{- .Values.service -}}
{{- end -}}

{{/* Its settings' prefix, e.g. PAIRING_. */}}
{{- define "together.prefix" -}}
{{- printf "%s_" (upper (include "together.service" .)) -}}
{{- end -}}

{{- define "together.labels" -}}
app.kubernetes.io/name: {{ include "together.service" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: together
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The pods of the release, the server's and the migration's (the NetworkPolicy's selector). */}}
{{- define "together.podSelector" -}}
app.kubernetes.io/name: {{ include "together.service" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "together.serverSelector" -}}
{{ include "together.podSelector" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "together.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* Topic names, with the namespace prefix (together_events.topics). */}}
{{- define "together.topic" -}}
{{- printf "%stogether.%s" .root.Values.kafka.topicNamespace .service -}}
{{- end -}}

{{- define "together.kafkaUser" -}}
{{- printf "%s%s" .Values.kafka.topicNamespace (include "together.service" .) -}}
{{- end -}}

{{- define "together.kafkaPasswordSecret" -}}
{{- default (include "together.kafkaUser" .) .Values.kafka.passwordSecret.name -}}
{{- end -}}

{{- define "together.databaseSecret" -}}
{{- required "database.passwordSecret.name: the Secret holding the database password" .Values.database.passwordSecret.name -}}
{{- end -}}

{{/* Where the secret files are mounted. */}}
{{- define "together.secretsDir" -}}/var/run/secrets/together{{- end -}}

{{- define "together.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
