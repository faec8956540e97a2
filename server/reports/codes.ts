/**
 * The coded concepts the two documents use (DCM = DICOM PS3.16, SCT = SNOMED CT, UCUM units),
 * named as the standard names them.
 */
export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

const code = (CodeValue: string, CodingSchemeDesignator: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator, CodeMeaning });

export const CODES = {
  // TID 1500 Measurement Report
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  english: code('en-US', 'RFC5646', 'English (United States)'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  ctChest: code('169069000', 'SCT', 'CT of chest'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  findingSite: code('363698007', 'SCT', 'Finding Site'),
  imageRegion: code('111030', 'DCM', 'Image Region'),
  longAxis: code('103339001', 'SCT', 'Long Axis'),
  shortAxis: code('103340004', 'SCT', 'Short Axis'),
  comment: code('121106', 'DCM', 'Comment'),
  // TID 4019 Algorithm Identification
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  millimetre: code('mm', 'UCUM', 'millimeter'),
  // TID 2010 Key Object Selection
  ofInterest: code('113000', 'DCM', 'Of Interest'),
  keyObjectDescription: code('113012', 'DCM', 'Key Object Description'),
  // Finding sites
  leftLung: code('44029006', 'SCT', 'Left lung'),
  rightLung: code('3341006', 'SCT', 'Right lung'),
} as const;

/** The finding's code by the pipeline's kind word; anything else is a lesion. */
const FINDINGS: Record<string, Code> = {
  nodule: code('27925004', 'SCT', 'Nodule'),
  mass: code('4147007', 'SCT', 'Mass'),
  'lymph node': code('30746006', 'SCT', 'Lymphadenopathy'),
  effusion: code('60046008', 'SCT', 'Pleural effusion'),
  'pleural effusion': code('60046008', 'SCT', 'Pleural effusion'),
  pneumothorax: code('36118008', 'SCT', 'Pneumothorax'),
  emphysema: code('87433001', 'SCT', 'Pulmonary emphysema'),
  consolidation: code('95436008', 'SCT', 'Lung consolidation'),
  atelectasis: code('46621007', 'SCT', 'Atelectasis'),
};
const LESION = code('52988006', 'SCT', 'Lesion');

export function findingCode(kind: string): Code {
  return FINDINGS[kind.toLowerCase()] ?? LESION;
}

export const SOP_CLASSES = {
  enhancedSR: '1.2.840.10008.5.1.4.1.1.88.22',
  keyObjectSelection: '1.2.840.10008.5.1.4.1.1.88.59',
} as const;

/** Template identifiers (Content Template Sequence). */
export const TEMPLATES = { measurementReport: '1500', keyObjectSelection: '2010' } as const;
