#!/usr/bin/env bash
# `make demo`: a year of the Lüneburg example on the embedded default (SQLite file + Maildir).
# Everything runs with a frozen clock (--now), in var/demo/, so it can be repeated any time.
set -euo pipefail
cd "$(dirname "$0")/.."
Z=.venv/bin/zyklus
W=var/demo
rm -rf "$W" && mkdir -p "$W"
cp config.toml "$W/" && cp -r vorlagen "$W/"
export ZYKLUS_CONFIG="$W/config.toml" ZYKLUS_USER="Koordinierungsstelle (Demo)" FORCE_COLOR=1
unset ZYKLUS_DATABASE_URL ZYKLUS_NOW
say() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }

say "1. Datenbank anlegen und Stammdaten übernehmen (5. Januar 2026)"
$Z --now 2026-01-05T09:00 init

say "2. Probelauf: alle Nachrichten bis Juli 2027 mit dem Szenario demo/szenario-2026.toml"
echo "(nichts wird versendet; Kaltenmoor ist pünktlich, Bockelsberg spät, Ebensberg gar nicht …)"
$Z --now 2026-01-05T09:00 simulate --from 2026-01-01 --to 2027-07-31 \
    --scenario demo/szenario-2026.toml --format json \
  | .venv/bin/python demo/timeline.py

say "3. Echte Ereignisse erfassen: Kaltenmoor terminiert sein Auftaktgespräch"
$Z --now 2026-02-02T10:00 schedule kaltenmoor 2026 auftaktgespraech \
    --at 2026-03-10T10:00 --location "Stadtteilhaus Kaltenmoor"
$Z --now 2026-02-02T10:05 tick

say "4. Der 3. März 2026, 08:05 Uhr: die Erinnerungen gehen in den Maildir-Ordner"
$Z --now 2026-03-03T08:05 tick
echo
echo "Eine der zugestellten Nachrichten ($W/var/mail):"
.venv/bin/python demo/show_mail.py "$W/var/mail" "Erinnerung: Auftaktgespräch Ebensberg"

say "5. Weitere Ereignisse bis Anfang April"
$Z --now 2026-03-10T12:00 complete kaltenmoor 2026 auftaktgespraech \
    --participants "Lena Hoffmann, Sabine Behrens, Koordinierungsstelle" --note "Jahresplanung"
$Z --now 2026-03-20T10:00 extend innenstadt 2026 auftaktgespraech --until 2026-05-15 \
    --reason "Personalwechsel beim Träger"
$Z --now 2026-03-24T08:05 tick --format json
$Z --now 2026-03-25T09:00 submit ebensberg 2026 jahresbericht demo/jahresbericht-kaltenmoor-2026.md \
  || echo "(abgelehnt, wie erwartet: erst nach den Gesprächen)"

say "6. Wo steht wer? Status am 2. April 2026"
$Z --now 2026-04-02T08:00 status

say "7. Protokoll: Auszug und Prüfung der Hash-Kette"
$Z --now 2026-04-02T08:00 audit --pairing kaltenmoor
$Z --now 2026-04-02T08:00 audit verify
$Z --now 2026-04-02T08:00 report abschluss kaltenmoor 2026

say "8. Der Rest des Jahres für Kaltenmoor: Fachtag, Auswertung, Jahresbericht, Verwendungsnachweis"
$Z --now 2026-04-08T10:00 complete bockelsberg 2026 auftaktgespraech --participants 3
$Z --now 2026-04-21T10:00 complete kreideberg,hanseviertel,ebensberg,luene-moorfeld,schuetzenplatz \
    2026 auftaktgespraech --participants 3
$Z --now 2026-05-12T10:00 complete innenstadt 2026 auftaktgespraech --participants 4
$Z --now 2026-04-15T10:00 schedule alle 2026 fachtag --at 2026-06-18T09:30 --location "Glockenhaus Lüneburg"
$Z --now 2026-06-18T16:00 complete alle 2026 fachtag --participants 14
$Z --now 2026-11-20T12:00 complete kaltenmoor 2026 auswertungsgespraech --participants 3
echo "Das unveränderte Gerüst des Jahresberichts wird abgelehnt:"
$Z --now 2026-12-01T09:00 report jahresbericht kaltenmoor 2026 --output "$W/geruest.md"
$Z --now 2026-12-01T09:05 submit kaltenmoor 2026 jahresbericht "$W/geruest.md" || true
echo "Der ausgefüllte Bericht wird angenommen:"
$Z --now 2026-12-18T10:00 submit kaltenmoor 2026 jahresbericht demo/jahresbericht-kaltenmoor-2026.md
$Z --now 2026-12-22T10:00 accept kaltenmoor 2026 jahresbericht
echo "Ein fehlerhafter Verwendungsnachweis wird mit allen Fehlern abgelehnt:"
$Z --now 2027-05-20T09:00 submit kaltenmoor 2026 verwendungsnachweis demo/verwendungsnachweis-fehlerhaft.toml || true
echo "Der korrekte wird angenommen, geprüft, zur Kenntnis genommen und abgelegt:"
$Z --now 2027-05-20T10:00 submit kaltenmoor 2026 verwendungsnachweis vorlagen/verwendungsnachweis-vorlage.toml
$Z --now 2027-05-25T10:00 check kaltenmoor 2026 verwendungsnachweis --by "Koordinierungsstelle"
$Z --now 2027-06-01T10:00 acknowledge kaltenmoor 2026 verwendungsnachweis --by "Stabsstellenleitung"
$Z --now 2027-06-08T10:00 file kaltenmoor 2026 verwendungsnachweis --by "51.12"

say "9. Nachweise und Berichte"
$Z --now 2027-06-08T11:00 report abschluss kaltenmoor 2026
$Z --now 2027-06-08T11:00 report verwendungsnachweis kaltenmoor 2026 --format pdf --output "$W/verwendungsnachweis-kaltenmoor-2026.pdf"
$Z --now 2027-06-08T11:00 report buendelung 2026 --output "$W/buendelung-2026.md"
$Z --now 2027-06-08T11:00 calendar --all --output "$W/fristen.ics"
echo
head -n 24 "$W/buendelung-2026.md"

say "Fertig. Datenbank: $W/var/zyklus.db · Mails: $W/var/mail · weiter mit: $Z --config $W/config.toml --help"
