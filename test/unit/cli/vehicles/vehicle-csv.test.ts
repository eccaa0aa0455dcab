import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseVehicleCsv, VehicleCsvHeaderError } from "../../../../cli/vehicles/vehicle-csv.js";

test("good lines become vehicles with their CSR path; bad ones are refused by line with the reason", () => {
  const parsed = parseVehicleCsv(
    [
      "VIN,Make,Model,Hardware,CSR",
      "1hgcm82633a004352,Honda,Accord,tcu-2,a.csr",
      "1HGCM82633A004353,Honda,Accord,tcu-2,",
      "",
      "WP0ZZZ99ZTS392124,Porsche,911,,",
      "1HGCM82633A004352,Honda,Accord,tcu-2,",
      "1M8GDM9AXKP042788,MCI,D4500",
    ].join("\r\n"),
  );

  assert.equal(parsed.vehicles, [{ line: 2, vin: "1HGCM82633A004352", make: "Honda", model: "Accord", hardware: "tcu-2", csrPath: "a.csr" }]);
  assert.equal(parsed.refused.map((refusal) => refusal.line), [3, 5, 6, 7]);
  assert.match(parsed.refused[0]!.reason, "position 9");
  assert.match(parsed.refused[1]!.reason, "hardware");
  assert.match(parsed.refused[2]!.reason, "duplicate of line 2");
  assert.match(parsed.refused[3]!.reason, "3 fields");
});

test("an optional modelYear column is registered as the model year; a blank one is left out, a bad one refused", () => {
  const parsed = parseVehicleCsv(["vin,make,model,hardware,modelYear", "1HGCM82633A004352,Honda,Accord,tcu-2,2021", "1M8GDM9AXKP042788,MCI,D4500,tcu-2,", "1HGCM82633A004353,Honda,Accord,tcu-2,21"].join("\n"));
  assert.equal(parsed.vehicles, [
    { line: 2, vin: "1HGCM82633A004352", make: "Honda", model: "Accord", hardware: "tcu-2", modelYear: 2021 },
    { line: 3, vin: "1M8GDM9AXKP042788", make: "MCI", model: "D4500", hardware: "tcu-2" },
  ]);
  assert.equal(parsed.refused.map((refusal) => refusal.line), [4]);
  assert.match(parsed.refused[0]!.reason, "model year");
});

test("a header without the required columns is refused whole", () => {
  assert.throws(() => parseVehicleCsv("vin,make,model\n1HGCM82633A004352,Honda,Accord\n"), (error: Error) => error instanceof VehicleCsvHeaderError && /hardware/.test(error.message));
});

test.run();
