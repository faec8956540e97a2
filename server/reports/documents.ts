/**
 * The two documents a save writes, as dcmjs datasets: a TID 1500 measurement report (Enhanced SR,
 * one TID 1410 planar ROI group per lesion on its best slice: the box as an image region, long and
 * short axis, the finding, its site and text, the algorithm that found it) and a Key Object
 * Selection (TID 2010: the best slices, the query as the description). Each is a new series of the
 * source study, with the source's patient and study attributes and its frame of reference.
 * Pure: the caller gives the time and the UIDs come from newUid().
 */
import { CODES, findingCode, SOP_CLASSES, TEMPLATES, type Code } from './codes';
import { newUid, writePart10, type Dataset } from './part10';

export interface ReportImage {
  sopClassUID: string;
  sopInstanceUID: string;
  /** 1-based frame of a multi-frame instance. */
  frame?: number;
}

export interface ReportFinding {
  lesionId: number;
  /** Short English description of the lesion (the rerank answer's label). */
  label: string;
  /** The pipeline's kind word ("nodule", "mass", "lymph node", ...). */
  kind: string;
  side: 'left' | 'right';
  longMm: number;
  shortMm: number;
  /** Its best slice. */
  image: ReportImage;
  /** Its box on that slice, pixels: columns x..x+w-1, rows y..y+h-1. */
  box: { x: number; y: number; w: number; h: number };
}

export interface DocumentsInput {
  /** Header of a source image (naturalized): patient, study, frame of reference, character set. */
  source: Dataset;
  query: string;
  findings: ReportFinding[];
  /** The model that scored the lesions: written as the algorithm identification. */
  algorithm: { id: string; version: string };
  softwareVersion: string;
  now: Date;
}

export interface WrittenDocument {
  sopClassUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  dataset: Dataset;
  bytes: Uint8Array;
}

export const SR_SERIES_NUMBER = 9901;
export const KO_SERIES_NUMBER = 9902;
const MANUFACTURER = 'Slice Finder';

/** The patient and study attributes copied from the source (type 2: present, empty when the source has none). */
const COPIED = [
  'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'IssuerOfPatientID', 'PatientAge',
  'StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'StudyDescription',
  'FrameOfReferenceUID',
] as const;
const REQUIRED_EMPTY = new Set(['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber']);

function da(d: Date): string {
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}
function tm(d: Date): string {
  return `${String(d.getUTCHours()).padStart(2, '0')}${String(d.getUTCMinutes()).padStart(2, '0')}${String(d.getUTCSeconds()).padStart(2, '0')}`;
}

function header(input: DocumentsInput, sopClassUID: string, modality: 'SR' | 'KO', seriesNumber: number, seriesDescription: string): Dataset {
  const ds: Dataset = {
    // UTF-8: the query may be Chinese, the patient's name anything.
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: sopClassUID,
    SOPInstanceUID: newUid(),
    Modality: modality,
    SeriesInstanceUID: newUid(),
    SeriesNumber: seriesNumber,
    SeriesDescription: seriesDescription,
    SeriesDate: da(input.now),
    SeriesTime: tm(input.now),
    InstanceNumber: 1,
    ContentDate: da(input.now),
    ContentTime: tm(input.now),
    InstanceCreationDate: da(input.now),
    InstanceCreationTime: tm(input.now),
    Manufacturer: MANUFACTURER,
    ManufacturerModelName: MANUFACTURER,
    DeviceSerialNumber: '1',
    SoftwareVersions: input.softwareVersion,
    ReferencedPerformedProcedureStepSequence: [],
  };
  for (const key of COPIED) {
    const v = input.source[key];
    if (v !== undefined && v !== null && v !== '') ds[key] = v;
    else if (REQUIRED_EMPTY.has(key)) ds[key] = '';
  }
  if (typeof ds.StudyInstanceUID !== 'string' || ds.StudyInstanceUID === '') throw new Error('the source image has no StudyInstanceUID');
  return ds;
}

/** CurrentRequestedProcedureEvidenceSequence: the referenced images, by study and series. */
function evidence(studyInstanceUID: string, seriesInstanceUID: string, images: ReportImage[]): Dataset[] {
  const unique = new Map(images.map((i) => [i.sopInstanceUID, i]));
  return [
    {
      StudyInstanceUID: studyInstanceUID,
      ReferencedSeriesSequence: [
        {
          SeriesInstanceUID: seriesInstanceUID,
          ReferencedSOPSequence: [...unique.values()].map((i) => ({ ReferencedSOPClassUID: i.sopClassUID, ReferencedSOPInstanceUID: i.sopInstanceUID })),
        },
      ],
    },
  ];
}

// ------------------------------------------------------------ content items

const concept = (c: Code): Dataset[] => [{ ...c }];

function container(relationship: string | undefined, name: Code, children: Dataset[]): Dataset {
  return {
    ...(relationship ? { RelationshipType: relationship } : {}),
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: concept(name),
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: children,
  };
}
const text = (relationship: string, name: Code, value: string): Dataset => ({ RelationshipType: relationship, ValueType: 'TEXT', ConceptNameCodeSequence: concept(name), TextValue: value });
const codeItem = (relationship: string, name: Code, value: Code): Dataset => ({ RelationshipType: relationship, ValueType: 'CODE', ConceptNameCodeSequence: concept(name), ConceptCodeSequence: concept(value) });
const uidRef = (relationship: string, name: Code, uid: string): Dataset => ({ RelationshipType: relationship, ValueType: 'UIDREF', ConceptNameCodeSequence: concept(name), UID: uid });

function sopRef(image: ReportImage): Dataset[] {
  return [
    {
      ReferencedSOPClassUID: image.sopClassUID,
      ReferencedSOPInstanceUID: image.sopInstanceUID,
      ...(image.frame !== undefined ? { ReferencedFrameNumber: image.frame } : {}),
    },
  ];
}
const imageItem = (relationship: string, image: ReportImage): Dataset => ({ RelationshipType: relationship, ValueType: 'IMAGE', ReferencedSOPSequence: sopRef(image) });

function algorithm(input: DocumentsInput): Dataset[] {
  return [text('HAS CONCEPT MOD', CODES.algorithmName, input.algorithm.id), text('HAS CONCEPT MOD', CODES.algorithmVersion, input.algorithm.version)];
}

function num(name: Code, valueMm: number, input: DocumentsInput): Dataset {
  return {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: concept(name),
    MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: concept(CODES.millimetre), NumericValue: Math.round(valueMm * 10) / 10 }],
    ContentSequence: algorithm(input),
  };
}

/** The box's outline in SCOORD image coordinates (pixel (c, r) spans c..c+1, r..r+1), closed. */
export function boxOutline(box: ReportFinding['box']): number[] {
  const x0 = box.x;
  const y0 = box.y;
  const x1 = box.x + box.w;
  const y1 = box.y + box.h;
  return [x0, y0, x1, y0, x1, y1, x0, y1, x0, y0];
}

/** TID 1410: one lesion on its best slice. */
function measurementGroup(f: ReportFinding, trackingUid: string, input: DocumentsInput): Dataset {
  return container('CONTAINS', CODES.measurementGroup, [
    text('HAS OBS CONTEXT', CODES.trackingIdentifier, `Slice Finder lesion ${f.lesionId}`),
    uidRef('HAS OBS CONTEXT', CODES.trackingUniqueIdentifier, trackingUid),
    codeItem('CONTAINS', CODES.finding, findingCode(f.kind)),
    codeItem('HAS CONCEPT MOD', CODES.findingSite, f.side === 'left' ? CODES.leftLung : CODES.rightLung),
    ...algorithm(input),
    {
      RelationshipType: 'CONTAINS',
      ValueType: 'SCOORD',
      ConceptNameCodeSequence: concept(CODES.imageRegion),
      GraphicType: 'POLYLINE',
      GraphicData: boxOutline(f.box),
      ContentSequence: [imageItem('SELECTED FROM', f.image)],
    },
    num(CODES.longAxis, f.longMm, input),
    num(CODES.shortAxis, f.shortMm, input),
    text('CONTAINS', CODES.comment, f.label),
  ]);
}

/** The measurement report (Enhanced SR, TID 1500). */
export function measurementReport(input: DocumentsInput, sourceSeriesInstanceUID: string): WrittenDocument {
  const ds = header(input, SOP_CLASSES.enhancedSR, 'SR', SR_SERIES_NUMBER, 'Slice Finder measurements');
  const images = input.findings.map((f) => f.image);
  const uniqueImages = [...new Map(images.map((i) => [`${i.sopInstanceUID}:${i.frame ?? 1}`, i])).values()];
  const observerUid = newUid();
  Object.assign(ds, {
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: evidence(String(ds.StudyInstanceUID), sourceSeriesInstanceUID, images),
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: TEMPLATES.measurementReport }],
    ...container(undefined, CODES.imagingMeasurementReport, [
      codeItem('HAS CONCEPT MOD', CODES.languageOfContent, CODES.english),
      codeItem('HAS OBS CONTEXT', CODES.observerType, CODES.device),
      uidRef('HAS OBS CONTEXT', CODES.deviceObserverUid, observerUid),
      text('HAS OBS CONTEXT', CODES.deviceObserverName, 'Slice Finder'),
      text('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, MANUFACTURER),
      text('HAS OBS CONTEXT', CODES.deviceObserverModelName, `${input.algorithm.id} ${input.algorithm.version}`),
      codeItem('HAS CONCEPT MOD', CODES.procedureReported, CODES.ctChest),
      container('CONTAINS', CODES.imageLibrary, [container('CONTAINS', CODES.imageLibraryGroup, uniqueImages.map((i) => imageItem('CONTAINS', i)))]),
      container('CONTAINS', CODES.imagingMeasurements, input.findings.map((f) => measurementGroup(f, newUid(), input))),
    ]),
  });
  return written(ds);
}

/** The Key Object Selection (TID 2010): the best slices, with the query as the description. */
export function keyObjectSelection(input: DocumentsInput, sourceSeriesInstanceUID: string): WrittenDocument {
  const ds = header(input, SOP_CLASSES.keyObjectSelection, 'KO', KO_SERIES_NUMBER, 'Slice Finder key images');
  const images = [...new Map(input.findings.map((f) => [`${f.image.sopInstanceUID}:${f.image.frame ?? 1}`, f.image])).values()];
  Object.assign(ds, {
    ReferencedRequestSequence: [],
    CurrentRequestedProcedureEvidenceSequence: evidence(String(ds.StudyInstanceUID), sourceSeriesInstanceUID, images),
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: TEMPLATES.keyObjectSelection }],
    ...container(undefined, CODES.ofInterest, [
      text('CONTAINS', CODES.keyObjectDescription, input.query),
      ...images.map((i) => imageItem('CONTAINS', i)),
    ]),
  });
  return written(ds);
}

function written(ds: Dataset): WrittenDocument {
  return {
    sopClassUID: String(ds.SOPClassUID),
    studyInstanceUID: String(ds.StudyInstanceUID),
    seriesInstanceUID: String(ds.SeriesInstanceUID),
    sopInstanceUID: String(ds.SOPInstanceUID),
    dataset: ds,
    bytes: writePart10(ds),
  };
}
