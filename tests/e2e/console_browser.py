#!/usr/bin/python3
"""console_browser.py URL SHOTS — the admin console in headless Chromium (Debian's chromium, chromium-driver
and python3-selenium), against a started service whose tokens are admin-token-0001 and reader-token-0001 and
which holds the clients and the candidate console_test.sh stored. Prints '  ok    NAME' / '  FAIL  NAME' per
check and saves a screenshot of each page in SHOTS."""
import json
import re
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

URL, SHOTS = sys.argv[1], sys.argv[2]
ADMIN, READER = "admin-token-0001", "reader-token-0001"
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("  ok    " if cond else "  FAIL  ") + name + ("" if cond else ": " + str(detail)[:400]), flush=True)


def call(method, path, body=None, token=ADMIN):
    req = urllib.request.Request(URL + path, method=method, data=body.encode() if body else None,
                                 headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_for(driver, css, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if found:
            return found[0]
        time.sleep(0.1)
    return None


def shot(driver, name):
    time.sleep(0.3)
    driver.save_screenshot(f"{SHOTS}/{name}.png")


def sign_in(driver, token):
    driver.get(URL + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.refresh()
    box = wait_for(driver, "#signin:not([hidden]) #token")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "signin-go").click()
    return box


def open_page(driver, hash_, css):
    driver.execute_script("location.hash = arguments[0]", hash_)
    return wait_for(driver, css)


def set_source(driver, text):
    driver.execute_script("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", text)


opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    # Sign-in and the policy list
    check("the sign-in form is offered", sign_in(driver, ADMIN) is not None)
    table = wait_for(driver, "#policies a[href='#/policies/client_grade']")
    check("an admin sees the policy list", table is not None, driver.page_source[:300])
    running = call("GET", "/policies/client_grade")[1]["version"]
    check("... with the running version", running in driver.find_element(By.ID, "policies").text
          if table else False, running)
    shot(driver, "console-policies")

    # Edit a threshold: the dry run shows the transition counts
    before = call("GET", "/policies/client_grade")[1]["source"]
    edited = before.replace('{ "platinum", 2000000 }', '{ "platinum", 1500000 }')
    check("the example policy has the platinum threshold to edit", edited != before)
    open_page(driver, "#/policies/client_grade", ".CodeMirror")
    check("an admin gets the editor with line numbers", wait_for(driver, ".CodeMirror-linenumber") is not None)
    check("... and the Lua mode highlights", wait_for(driver, ".cm-keyword") is not None)
    tests = call("GET", "/policies/client_grade_test")[1]["source"]
    tests_edited = re.sub(r'eq\(grade\(1999999, (1|group)\), "gold"\)', r'eq(grade(1999999, \1), "platinum")',
                          tests.replace('>= 2,000,000"', '>= 1,500,000"'))
    check("the tests have the bound to edit too", tests_edited != tests)
    set_source(driver, edited)
    driver.find_element(By.ID, "dryrun").click()
    summary = wait_for(driver, "#impact-summary", 60)
    check("the dry run answers beside the editor", summary is not None, driver.find_element(By.ID, "impact").text)
    rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#transitions tbody tr")]
    check("the transition table: gold → platinum, 3 records", any(r.startswith("grade gold platinum 3") for r in rows), rows)
    check("... with an example's two explanations", any("before: grade gold" in r and "after: grade platinum" in r
                                                       for r in rows), rows)
    check("3 of the 5 stored clients would change", summary is not None and summary.text.startswith("3 of 5"),
          summary.text if summary else "")
    shot(driver, "console-dry-run")

    # Publish: refused while the tests expect the old bound; with the tests edited, a new record gets the new grade
    driver.find_element(By.ID, "publish").click()
    err = wait_for(driver, "#edit-error", 30)
    check("publishing with the old tests is refused, naming the failing test's line",
          err is not None and "client_grade_test.lua:" in err.text and err.text.startswith("Line "), err.text if err else "")
    check("... shown in the test file's tab", driver.execute_script(
        "return document.querySelector('.CodeMirror').CodeMirror.getValue().includes('test(')"))
    set_source(driver, tests_edited)
    driver.find_element(By.ID, "message").send_keys("platinum from 1.5 million")
    driver.find_element(By.ID, "publish").click()
    check("publish answers", wait_for(driver, "#published", 30) is not None, driver.find_element(By.ID, "impact").text)
    status, put = call("PUT", "/records/client/new1", '{"annual_revenue": 1600000}')
    check("a new client of 1,600,000 gets the new grade", status == 200 and put["record"].get("grade") == "platinum", put)
    hist = wait_for(driver, "#versions")
    check("the history lists the message", hist is not None and "platinum from 1.5 million" in hist.text)
    published = call("GET", "/policies/client_grade")[1]["version"]

    # A broken edit: its line is marked, nothing is published
    broken = edited.replace('local threshold = require "threshold"', 'local threshold = require "threshold" )')
    line = broken.split("\n").index('local threshold = require "threshold" )') + 1
    driver.find_element(By.ID, "tab-client_grade.lua").click()
    set_source(driver, broken)
    driver.find_element(By.ID, "dryrun").click()
    err = wait_for(driver, "#edit-error", 30)
    check("a broken edit shows an error", err is not None)
    marked = driver.execute_script(
        "const cm = document.querySelector('.CodeMirror').CodeMirror; const out = [];"
        "cm.eachLine(l => { if ((l.bgClass || '').includes('cm-error-line')) out.push(cm.getLineNumber(l) + 1); });"
        "return out;")
    check("... on its line in the editor", err is not None and marked == [line],
          f"marked {marked}, error {err.text if err else ''}, expected near {line}")
    shot(driver, "console-error")
    driver.find_element(By.ID, "publish").click()
    err = wait_for(driver, "#edit-error", 30)
    check("publishing it is refused with its line", err is not None and "Line" in err.text, err.text if err else "")
    check("nothing is published", call("GET", "/policies/client_grade")[1]["version"] == published)

    # History: a version's diff, and a rollback (the tests the bundle changed refuse the old bound)
    first_row = [r for r in driver.find_elements(By.CSS_SELECTOR, "#versions tbody tr") if "start-up" in r.text]
    check("the history lists the version the service started with", len(first_row) == 1)
    if first_row:
        first_row[0].find_element(By.XPATH, ".//button[text()='diff']").click()
        diff = wait_for(driver, "#diff:not([hidden]) div.add")
        check("its diff against the running version shows the bound that changed",
              diff is not None and '-  { "platinum", 1500000 }' in driver.find_element(By.ID, "diff").text
              and '+  { "platinum", 2000000 }' in driver.find_element(By.ID, "diff").text,
              driver.find_element(By.ID, "diff").text[:600])
        first_row[0].find_element(By.CSS_SELECTOR, "button.rollback").click()
        err = wait_for(driver, "#rollback-error", 30)
        check("a rollback its tests refuse says why, and nothing changes",
              err is not None and "test" in err.text and call("GET", "/policies/client_grade")[1]["version"] == published,
              err.text if err else "")
        driver.execute_script("document.getElementById('history').scrollIntoView()")
        shot(driver, "console-history")

    # Try: a form from the declared fields, evaluated, nothing stored
    open_page(driver, "#/try?type=client", "#try-annual_revenue")
    driver.find_element(By.ID, "try-annual_revenue").send_keys("1700000")
    driver.find_element(By.ID, "try-go").click()
    res = wait_for(driver, "#try-decisions", 30)
    check("Try: the form's record gets the published grade, with its explanation",
          res is not None and 'grade → "platinum"' in res.text and "1,700,000 >= 1,500,000" in res.text,
          res.text if res else driver.find_element(By.ID, "try-result").text)
    check("... and nothing is stored", call("GET", "/records/client/try")[0] == 404)
    shot(driver, "console-try")
    open_page(driver, "#/try?type=candidate", "#try-level")
    levels = [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#try-level option")]
    check("Try: an enum field is a choice of its values", levels == ["—", "staff", "frontline", "middle", "senior"], levels)

    # Records, a record's page, the work queue
    open_page(driver, "#/records?type=client", "#results table")
    check("records of a type are listed", "new1" in driver.find_element(By.ID, "results").text)
    shot(driver, "console-records")
    open_page(driver, "#/records/client/new1", "#decisions")
    check("a record's page shows its decisions with the explanation",
          "grade platinum" in driver.find_element(By.ID, "decisions").text)
    shot(driver, "console-record")
    open_page(driver, "#/queue", "#queue-table")
    check("the work queue lists the held candidate", "candidate/k1" in driver.find_element(By.ID, "queue").text)
    shot(driver, "console-queue")

    # Deadlines, Ledger (Chart.js), Events (live)
    open_page(driver, "#/deadlines", "#deadlines")
    check("the deadlines list the complaint's", "complaint/q1" in driver.find_element(By.ID, "deadlines").text)
    check("... beside a month's calendar", wait_for(driver, "#calendar td.weekend") is not None)
    shot(driver, "console-deadlines")
    open_page(driver, f"#/ledger?subject=li&year={time.strftime('%Y')}", "#ledger-total")
    check("the ledger totals a person's points over the year",
          "li: 5 points" in driver.find_element(By.ID, "ledger-total").text, driver.find_element(By.ID, "ledger").text)
    check("... and Chart.js draws them", driver.execute_script("return !!(window.Chart && Chart.getChart('ledger-chart'))"))
    shot(driver, "console-ledger")
    open_page(driver, "#/events", "#events")
    first = wait_for(driver, "#events tbody tr")
    check("the events page lists what the policies emitted", first is not None and "candidate/k1" in first.text)
    call("PUT", "/records/candidate/k2", '{"level": "senior", "background_check": "none", "age": 40}')
    end, live = time.time() + 20, False
    while time.time() < end and not live:
        live = "candidate/k2" in driver.find_element(By.ID, "events").text
        time.sleep(0.2)
    check("... and a new one arrives live (long poll)", live)
    shot(driver, "console-events")
    driver.execute_script("location.hash = '#/policies'")

    logs = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]
    check("no script error and nothing refused by the CSP (answers like 401 and 422 aside)", not logs, logs)

    # A reader: no editor, no publish, no rollback
    sign_in(driver, READER)
    check("a reader sees the policy list", wait_for(driver, "#policies") is not None)
    open_page(driver, "#/try?type=client", "#try-annual_revenue").send_keys("50000")
    driver.find_element(By.ID, "try-go").click()
    res = wait_for(driver, "#try-decisions", 30)
    check("a reader may try a record", res is not None and 'grade → "vip"' in res.text, res.text if res else "")
    open_page(driver, "#/policies/client_grade", ".CodeMirror")
    check("a reader gets no Check or Publish button", not driver.find_elements(By.CSS_SELECTOR, "#dryrun, #publish"))
    check("... nor a rollback", wait_for(driver, "#versions") is not None and
          not driver.find_elements(By.CSS_SELECTOR, ".rollback"))
    check("... and the source is read only",
          driver.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getOption('readOnly')"))
    shot(driver, "console-reader")

    # 中文: the switch in the header, kept for the next visit
    driver.find_element(By.ID, "lang").click()
    wait_for(driver, "html[lang='zh-CN'] #nav:not([hidden])")
    open_page(driver, "#/policies", "#policies")
    nav = driver.find_element(By.ID, "nav").text
    check("the Chinese interface: the navigation in Chinese", "策略" in nav and "待办" in nav, nav)
    check("... and the table headings", "运行版本" in driver.find_element(By.ID, "policies").text)
    shot(driver, "console-zh")
    driver.find_element(By.ID, "lang").click()
    wait_for(driver, "html[lang='en'] #nav:not([hidden])")
    check("... and back to English", "Policies" in driver.find_element(By.ID, "nav").text)

    # A phone's width: the page still fits
    driver.set_window_size(390, 844)
    open_page(driver, "#/queue", "#queue-table")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check("at a phone's width (390 px) the work queue fits without scrolling sideways", width <= 400, width)
    shot(driver, "console-phone")
finally:
    driver.quit()
print(f"{results.count(True)} passed, {results.count(False)} failed")
sys.exit(0 if all(results) else 1)
